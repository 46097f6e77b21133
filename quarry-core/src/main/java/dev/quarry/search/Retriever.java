package dev.quarry.search;

import dev.quarry.data.Document;
import java.util.List;

/**
 * Where the top passages for a query come from: the seam that evaluation, the command line and the
 * server share, whatever answers behind it (Lucene's exact scan, HNSW, BM25 or their fusion now; a
 * remote engine next). Callers encode the query only when {@link #usesVectors()} says so.
 */
public interface Retriever {
  /**
   * The top {@code k} passages, best first.
   *
   * @param text the query text (keyword and fused retrieval read it)
   * @param vector the query embedding, or null when {@link #usesVectors()} is false
   */
  List<Hit> search(String text, float[] vector, int k);

  /** Whether {@link #search} needs the query embedding. */
  boolean usesVectors();

  /** The stored passage with this id, or null. */
  Document document(String id);

  /** A short name for reports and run files ("dense", "bm25", ...). */
  String name();
}
