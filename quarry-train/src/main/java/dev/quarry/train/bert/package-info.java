/**
 * A BERT encoder in DJL ops on libtorch, trainable with autograd: its configuration, weights by
 * their Hugging Face names (read from safetensors or recovered from an ONNX export), and {@link
 * dev.quarry.train.bert.NativeArrays}, through which every tensor made from Java data passes so
 * that libtorch owns its memory (autograd keeps tensors alive past the Java object).
 */
package dev.quarry.train.bert;
