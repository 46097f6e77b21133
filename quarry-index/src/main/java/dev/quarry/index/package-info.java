/**
 * The persistent index on Apache Lucene: stored passages, a BM25 text field and HNSW vectors
 * (optionally int8), with dense, exact, BM25 and hybrid (reciprocal rank fusion) retrieval.
 */
package dev.quarry.index;
