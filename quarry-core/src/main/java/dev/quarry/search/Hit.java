package dev.quarry.search;

/**
 * One retrieved document.
 *
 * @param index where the retriever found it: the row of the corpus matrix for exact search over
 *     an {@link EncodedCorpus}, a Lucene document id (valid only for the searcher that produced it)
 *     for the index's retrievers. Use {@link #id()} to name a document across searches.
 * @param id the document's {@code _id}
 * @param score the similarity (or fused rank score, in hybrid mode); higher is better
 */
public record Hit(int index, String id, float score) {}
