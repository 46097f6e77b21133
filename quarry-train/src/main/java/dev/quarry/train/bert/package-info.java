/**
 * A BERT encoder in DJL ops on libtorch, trainable with autograd, over the configuration and
 * weights that core's {@code dev.quarry.inference} reads ({@code BertConfig}, {@code BertWeights});
 * and {@link dev.quarry.train.bert.NativeArrays}, through which every tensor made from Java data
 * passes so that libtorch owns its memory (autograd keeps tensors alive past the Java object).
 */
package dev.quarry.train.bert;
