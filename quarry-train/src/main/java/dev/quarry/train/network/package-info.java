/**
 * The trainable sentence-transformers model: transformer → pooling → optional normalisation, in
 * differentiable ops with the same conventions as quarry-core's inference modules.
 */
package dev.quarry.train.network;
