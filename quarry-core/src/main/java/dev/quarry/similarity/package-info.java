/** Similarity functions between embeddings, with sentence-transformers' names and sign conventions. */
package dev.quarry.similarity;
