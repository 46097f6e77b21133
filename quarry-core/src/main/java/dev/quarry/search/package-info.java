/** Retrieval: exact top-k search over corpus embeddings, and the on-disk corpus embedding cache. */
package dev.quarry.search;
