/**
 * The passage-store layer: what a stored passage is ({@link dev.quarry.index.PassageSchema}), the
 * engine seam ({@link dev.quarry.index.PassageIndex}: storage and dense, BM25 and exact primitives),
 * the search modes built once over any engine ({@link dev.quarry.index.IndexRetriever}), and
 * indexing a corpus incrementally into any of them ({@link dev.quarry.index.CorpusIndexer}, {@link
 * dev.quarry.index.CorpusSync}). Engines live below: {@code lucene} here, SolrCloud in quarry-solr.
 */
package dev.quarry.index;
