package dev.quarry.index;

import dev.quarry.QuarryException;
import java.util.Locale;

/** How a query is answered: HNSW vectors, exact vectors, BM25 keywords, or both fused. */
public enum SearchMode {
  DENSE, EXACT, BM25, HYBRID;

  public static SearchMode fromId(String id) {
    try {
      return valueOf(id.toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new QuarryException("Unknown search mode '" + id + "'. Valid: dense, exact, bm25, hybrid.");
    }
  }

  public String id() {
    return name().toLowerCase(Locale.ROOT);
  }
}
