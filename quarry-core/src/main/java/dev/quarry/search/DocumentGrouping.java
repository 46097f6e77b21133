package dev.quarry.search;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.IntFunction;

/**
 * Chunks back into documents. A chunk's id is its document's id, '#', and its position
 * ({@link #chunkId}); a document scores what its best chunk scores (max-P, as Dai and Callan's
 * passage-level BERT ranking), and a grouped hit keeps its best chunk's id, so the passage that
 * matched can be shown.
 */
public final class DocumentGrouping {
  /** How many chunks deep a first fetch goes per document asked for; deeper fetches follow when too few documents came back. */
  private static final int CHUNKS_PER_DOCUMENT = 4;
  private static final int MAX_DEPTH = 10_000;

  private DocumentGrouping() {}

  /** The id of a document's {@code index}-th chunk. */
  public static String chunkId(String documentId, int index) {
    return documentId + "#" + index;
  }

  /** The document a chunk id belongs to. */
  public static String documentOf(String chunkId) {
    int hash = chunkId.lastIndexOf('#');
    return hash < 0 ? chunkId : chunkId.substring(0, hash);
  }

  /** The first (best) chunk of each document, best first, at most {@code k}. */
  public static List<Hit> maxP(List<Hit> chunkHits, int k) {
    Set<String> seen = new HashSet<>();
    List<Hit> out = new ArrayList<>(Math.min(k, chunkHits.size()));
    for (Hit h : chunkHits) {
      if (out.size() == k) {
        break;
      }
      if (seen.add(documentOf(h.id()))) {
        out.add(h);
      }
    }
    return out;
  }

  /**
   * The top {@code k} documents of a chunk-level search: fetches {@code 4k} chunks, then deeper
   * while the chunks returned filled the fetch yet gave fewer than {@code k} documents.
   *
   * @param search the chunk-level search, given how many chunks to return
   */
  public static List<Hit> topDocuments(IntFunction<List<Hit>> search, int k) {
    int depth = Math.max(k * CHUNKS_PER_DOCUMENT, 20);
    while (true) {
      List<Hit> chunks = search.apply(depth);
      List<Hit> docs = maxP(chunks, k);
      if (docs.size() >= k || chunks.size() < depth || depth >= MAX_DEPTH) {
        return docs;
      }
      depth = Math.min(depth * 4, MAX_DEPTH);
    }
  }

  /**
   * Reciprocal rank fusion of document-level lists (each from {@link #maxP}): documents are fused
   * by document id, and each keeps the chunk of the list that ranked it highest.
   */
  public static List<Hit> fuse(List<List<Hit>> documentLists, int rrfK, int topK) {
    Map<String, String> bestChunk = new HashMap<>();
    Map<String, Integer> bestRank = new HashMap<>();
    List<List<Hit>> byDocument = new ArrayList<>();
    for (List<Hit> list : documentLists) {
      List<Hit> docs = new ArrayList<>(list.size());
      for (int i = 0; i < list.size(); i++) {
        String doc = documentOf(list.get(i).id());
        if (i < bestRank.getOrDefault(doc, Integer.MAX_VALUE)) {
          bestRank.put(doc, i);
          bestChunk.put(doc, list.get(i).id());
        }
        docs.add(new Hit(doc, list.get(i).score()));
      }
      byDocument.add(docs);
    }
    return ReciprocalRankFusion.fuse(byDocument, rrfK, topK).stream().map(h -> new Hit(bestChunk.get(h.id()), h.score())).toList();
  }

  /** Chunk hits as document hits (ids mapped to their documents), for evaluation against document qrels. */
  public static List<Hit> asDocuments(List<Hit> groupedHits) {
    return groupedHits.stream().map(h -> new Hit(documentOf(h.id()), h.score())).toList();
  }
}
