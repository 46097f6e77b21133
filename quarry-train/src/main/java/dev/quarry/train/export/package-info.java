/**
 * Writing a trained model: the sentence-transformers folder (config files, safetensors weights,
 * tokenizer files) that Python's {@code SentenceTransformer(path)} loads, the ONNX graph that
 * Quarry's inference path runs, and the model card.
 */
package dev.quarry.train.export;
