/**
 * The local engine: a persistent passage index on Apache Lucene with stored passages, a BM25 text
 * field and HNSW vectors (optionally int8), serving the dense, exact and BM25 primitives. Nothing
 * in {@code dev.quarry.index} depends on it.
 */
package dev.quarry.index.lucene;
