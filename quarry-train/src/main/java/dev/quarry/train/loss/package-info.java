/** Losses over a batch of embeddings, as sentence-transformers defines them. */
package dev.quarry.train.loss;
