/** Inference engines: ONNX Runtime running a transformer graph to per-token hidden states. */
package dev.quarry.inference;
