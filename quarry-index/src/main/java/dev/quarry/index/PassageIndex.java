package dev.quarry.index;

import dev.quarry.data.Document;
import dev.quarry.search.Retriever;
import java.util.List;
import java.util.Map;

/**
 * A store of passages with their vectors that answers searches: a local {@link LuceneIndex}, or a
 * SolrCloud collection (module quarry-solr). {@link CorpusSync}, the command line and the server
 * work through this interface, so a corpus is streamed, resumed, synced and served the same way
 * whichever engine holds it.
 *
 * <p>Writes become durable and visible at {@link #commit()}; a caller acknowledges a write only
 * after it.
 */
public interface PassageIndex extends AutoCloseable {
  /** The model the stored vectors come from. */
  IndexMetadata metadata();

  /** Where the passages live, for messages: a folder, or a collection and its cluster. */
  String location();

  /** Adds documents or replaces those with the same id (documents of the API: never removed by a corpus sync). */
  default void upsert(List<Document> docs, float[][] vectors) {
    upsert(docs, vectors, LuceneIndex.NOT_FROM_CORPUS);
  }

  /** Adds or replaces documents, recording the corpus sync generation that wrote them. */
  void upsert(List<Document> docs, float[][] vectors, long syncGeneration);

  /**
   * Adds or replaces documents of the API (each id at most once): all or nothing where {@link
   * #allOrNothing()} says so; elsewhere a failure may leave some written, and the same call retried
   * converges (writes are idempotent by id).
   */
  void replaceAtomically(List<Document> docs, float[][] vectors);

  /**
   * Whether a failed {@link #replaceAtomically} leaves nothing behind: true for one Lucene index,
   * false for SolrCloud, which has no transaction across shards (writes there are at least once).
   */
  default boolean allOrNothing() {
    return true;
  }

  /** Deletes documents by id (absent ids are ignored). */
  void delete(List<String> ids);

  /** The content digests ({@link LuceneIndex#contentHash}) stored for {@code ids}; absent ids are missing. */
  Map<String, String> storedHashes(List<String> ids);

  /** Marks an unchanged corpus document as seen by sync {@code generation}, without rewriting it. */
  void markSeen(String id, long generation);

  /** Deletes the corpus documents that sync {@code generation} did not see; returns how many. */
  int deleteUnseen(long generation);

  /** The model metadata and corpus progress recorded with the last commit. */
  Map<String, String> commitData();

  /** Makes all writes so far durable and visible, keeping the recorded corpus progress. */
  void commit();

  /** Makes all writes so far durable and visible, then records {@code extra} (corpus progress). */
  void commit(Map<String, String> extra);

  /** Live documents visible to searches. */
  long size();

  /** The stored passage with this id, or null. */
  Document document(String id);

  /** This index answering in {@code mode}; a mode the engine cannot serve is refused with a clear error. */
  Retriever retriever(SearchMode mode);

  /** [start, end) character ranges of the words of {@code text} that match a term of {@code query}. */
  List<int[]> highlight(String query, String text);

  /** Why the index can no longer take writes, or null if it can. */
  String writeProblem();

  /** True while background work (merges) continues after the last commit. */
  default boolean isMerging() {
    return false;
  }

  @Override
  void close();
}
