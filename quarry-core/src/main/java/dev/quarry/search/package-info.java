/**
 * Retrieval: the {@link dev.quarry.search.Retriever} seam (exact search here, an index's modes in
 * quarry-index), the rerank stage ({@link dev.quarry.search.Reranker}), and the {@link
 * dev.quarry.search.Searcher} that joins the bi-encoder, a retriever and a reranker, which the
 * server, the command line, evaluation over an index and mining all run; exact top-k search over
 * corpus embeddings with its one tie rule ({@link dev.quarry.search.TopK}); reciprocal rank fusion;
 * and the on-disk corpus embedding cache.
 */
package dev.quarry.search;
