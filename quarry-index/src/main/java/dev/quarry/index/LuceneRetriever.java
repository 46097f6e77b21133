package dev.quarry.index;

import dev.quarry.data.Document;
import dev.quarry.search.Hit;
import dev.quarry.search.Retriever;
import java.util.List;

/** A {@link LuceneIndex} answering in one {@link SearchMode}. */
record LuceneRetriever(LuceneIndex index, SearchMode mode) implements Retriever {
  @Override
  public List<Hit> search(String text, float[] vector, int k) {
    return index.search(mode, text, vector, k);
  }

  @Override
  public boolean usesVectors() {
    return mode != SearchMode.BM25;
  }

  @Override
  public Document document(String id) {
    return index.document(id);
  }

  @Override
  public String name() {
    return mode.id();
  }
}
