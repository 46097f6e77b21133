/**
 * Inference engines: ONNX Runtime running a transformer graph to per-token hidden states ({@link
 * dev.quarry.inference.OnnxTransformer}); and the graphs themselves where a folder has none: a
 * BERT's configuration and weights by their Hugging Face names ({@link
 * dev.quarry.inference.BertConfig}, {@link dev.quarry.inference.BertWeights}, read from
 * safetensors or recovered from an ONNX export by {@link dev.quarry.inference.OnnxWeights}), the
 * graph builder ({@link dev.quarry.inference.OnnxBertExporter}, protobuf only) and the cache that
 * exports safetensors-only folders on first use ({@link dev.quarry.inference.OnnxExports}).
 */
package dev.quarry.inference;
