package dev.quarry.search;

import dev.quarry.data.Document;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

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

  /** The stored passages with these ids (absent ids are missing); an index fetches them in one pass. */
  default Map<String, Document> documents(Collection<String> ids) {
    Map<String, Document> out = new HashMap<>();
    for (String id : ids) {
      Document d = document(id);
      if (d != null) {
        out.put(id, d);
      }
    }
    return out;
  }

  /**
   * Whether hits are documents grouped from chunks: each hit's id is then its document's best
   * chunk ({@link DocumentGrouping}), and {@link Searcher#rank} reports document ids.
   */
  default boolean groupsChunks() {
    return false;
  }

  /** A short name for reports and run files ("dense", "bm25", ...). */
  String name();
}
