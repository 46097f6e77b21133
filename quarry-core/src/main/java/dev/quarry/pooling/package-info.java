/** Pooling: token embeddings to one sentence embedding, as sentence-transformers' Pooling module. */
package dev.quarry.pooling;
