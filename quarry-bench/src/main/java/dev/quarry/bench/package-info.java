/**
 * Benchmarks that print figures, each against a peer measured in the same run (ratios, not
 * absolute times): encoding against LangChain4j and the machine's GEMM peak, HNSW against exact
 * search, indexing against plain encoding, a training step. Not tests: nothing here asserts speed.
 */
package dev.quarry.bench;
