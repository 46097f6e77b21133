/**
 * Writing a trained model: the sentence-transformers folder (config files, safetensors weights,
 * tokenizer files) that Python's {@code SentenceTransformer(path)} loads, the cross-encoder folder
 * that {@code CrossEncoder(path)} loads, with the ONNX graph that
 * Quarry's inference path runs (built by core's {@code OnnxBertExporter}); the model card; and the
 * dynamic int8 quantizer. Each module saves its own folder (quarry-core's {@code modules}); the
 * writer only lists them in modules.json.
 */
package dev.quarry.train.export;
