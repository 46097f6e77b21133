package dev.quarry.index;

import dev.quarry.QuarryException;
import dev.quarry.data.Document;
import dev.quarry.search.DocumentGrouping;
import dev.quarry.search.Hit;
import dev.quarry.search.ReciprocalRankFusion;
import dev.quarry.search.Retriever;
import java.util.Collection;
import java.util.List;
import java.util.Map;

/**
 * A {@link PassageIndex} answering in one {@link SearchMode}, built on the engine's primitives: the
 * one place where modes are switched, dense and BM25 lists are fused for hybrid search, and a mode
 * the engine does not serve is refused.
 *
 * <p>Over an index of chunks with {@code byDocument}, each list is grouped into documents (max-P)
 * before anything else, so hybrid search fuses documents, not chunks, and a document appears once.
 */
public record IndexRetriever(PassageIndex index, SearchMode mode, boolean byDocument) implements Retriever {
  /** Raw passages (chunks, where the index holds chunks). */
  public IndexRetriever(PassageIndex index, SearchMode mode) {
    this(index, mode, false);
  }

  public IndexRetriever {
    if (mode == SearchMode.EXACT && !index.servesExact()) {
      throw new QuarryException(exactRefusal(index.location()));
    }
  }

  /** Why exact search is not offered on an engine that does not serve it (SolrCloud). */
  public static String exactRefusal(String location) {
    return "Exact search is not supported on " + location + " (it would read every vector of every shard per query):"
        + " use mode dense, bm25 or hybrid.";
  }

  @Override
  public List<Hit> search(String text, float[] vector, int k) {
    if (byDocument) {
      return switch (mode) {
        case DENSE -> DocumentGrouping.topDocuments(depth -> index.dense(vector, depth), k);
        case EXACT -> DocumentGrouping.topDocuments(depth -> index.exact(vector, depth), k);
        case BM25 -> DocumentGrouping.topDocuments(depth -> index.bm25(text, depth), k);
        case HYBRID -> {
          int depth = PassageSchema.hybridDepth(k);
          yield DocumentGrouping.fuse(List.of(DocumentGrouping.topDocuments(d -> index.dense(vector, d), depth),
              DocumentGrouping.topDocuments(d -> index.bm25(text, d), depth)), ReciprocalRankFusion.DEFAULT_K, k);
        }
      };
    }
    return switch (mode) {
      case DENSE -> index.dense(vector, k);
      case EXACT -> index.exact(vector, k);
      case BM25 -> index.bm25(text, k);
      case HYBRID -> {
        int depth = PassageSchema.hybridDepth(k);
        yield ReciprocalRankFusion.fuse(List.of(index.dense(vector, depth), index.bm25(text, depth)), ReciprocalRankFusion.DEFAULT_K, k);
      }
    };
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
  public Map<String, Document> documents(Collection<String> ids) {
    return index.documents(ids);
  }

  @Override
  public boolean groupsChunks() {
    return byDocument;
  }

  @Override
  public String name() {
    return mode.id() + (byDocument ? "+maxp" : "");
  }
}
