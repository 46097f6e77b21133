/**
 * Writing a trained model: the sentence-transformers folder (config files, safetensors weights,
 * tokenizer files) that Python's {@code SentenceTransformer(path)} loads, with the ONNX graph that
 * Quarry's inference path runs (built by core's {@code OnnxBertExporter}); the model card; and the
 * dynamic int8 quantizer.
 */
package dev.quarry.train.export;
