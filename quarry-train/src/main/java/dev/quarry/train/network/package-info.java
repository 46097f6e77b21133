/**
 * The trainable networks, in differentiable ops with the same conventions as quarry-core's inference
 * modules: the sentence-transformers model (transformer → pooling → optional normalisation) and the
 * cross-encoder (BertForSequenceClassification: transformer → pooler → classifier).
 */
package dev.quarry.train.network;
