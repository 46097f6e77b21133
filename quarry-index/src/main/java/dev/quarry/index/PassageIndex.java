package dev.quarry.index;

import dev.quarry.QuarryException;
import dev.quarry.data.Document;
import dev.quarry.search.Hit;
import dev.quarry.search.Retriever;
import java.util.Collection;
import java.util.List;
import java.util.Map;

/**
 * A store of passages with their vectors, laid out as {@link PassageSchema} says: a local Lucene
 * index (module quarry-index, {@code dev.quarry.index.lucene}), or a SolrCloud collection (module
 * quarry-solr). {@link CorpusSync}, {@link CorpusIndexer}, the command line and the server work
 * through this interface, so a corpus is streamed, resumed, synced and served the same way
 * whichever engine holds it.
 *
 * <p>An engine implements storage and three retrieval primitives ({@link #dense}, {@link #bm25}
 * and, where it can, {@link #exact}); {@link IndexRetriever} builds the search modes on them, so
 * the mode switch, hybrid fusion and the refusals exist once.
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
    upsert(docs, vectors, PassageSchema.NOT_FROM_CORPUS);
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

  /** The content digests ({@link PassageSchema#contentHash}) stored for {@code ids}; absent ids are missing. */
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

  /** The stored passages with these ids, fetched together; absent ids are missing from the map. */
  Map<String, Document> documents(Collection<String> ids);

  /** The stored passage with this id, or null. */
  default Document document(String id) {
    return documents(List.of(id)).get(id);
  }

  /** Approximate nearest neighbours of a query vector, scored by the model's similarity, best first. */
  List<Hit> dense(float[] vector, int k);

  /** BM25 over title and text, with {@link PassageSchema}'s analysis and parameters, best first. */
  List<Hit> bm25(String text, int k);

  /** Whether {@link #exact} is served (it reads every vector, which only a local index does cheaply). */
  default boolean servesExact() {
    return false;
  }

  /** Every vector scored: the exact top-k that {@link #dense} approximates. */
  default List<Hit> exact(float[] vector, int k) {
    throw new QuarryException(IndexRetriever.exactRefusal(location()));
  }

  /**
   * This index answering in {@code mode}, documents grouped from their chunks where it holds chunks;
   * a mode the engine cannot serve is refused with a clear error.
   */
  default Retriever retriever(SearchMode mode) {
    return new IndexRetriever(this, mode, holdsChunks());
  }

  /** As {@link #retriever(SearchMode)}; {@code byDocument} false returns raw chunks. */
  default Retriever retriever(SearchMode mode, boolean byDocument) {
    return new IndexRetriever(this, mode, byDocument && holdsChunks());
  }

  /** The top {@code k} in {@code mode}: {@code retriever(mode).search(text, vector, k)}. */
  default List<Hit> search(SearchMode mode, String text, float[] vector, int k) {
    return retriever(mode).search(text, vector, k);
  }

  /**
   * Every source (file, or chunked corpus entry) the index holds chunks of, with the stamp it was
   * synced at: what {@link SourceSync} compares to skip unchanged files.
   */
  default Map<String, SourceStamp> sources() {
    throw new QuarryException(sourcesRefusal(location()));
  }

  /**
   * Replaces every chunk of {@code source} with {@code chunks} as one block: Lucene applies a
   * block's delete and adds together, so a commit holds the old chunks or the new ones, never a mix.
   */
  default void replaceSource(String source, SourceStamp stamp, List<Document> chunks, float[][] vectors) {
    throw new QuarryException(sourcesRefusal(location()));
  }

  /** Records a newer modification time for an unchanged source (same bytes), without rewriting it. */
  default void touchSource(String source, long mtime) {
    throw new QuarryException(sourcesRefusal(location()));
  }

  /** Deletes every chunk of {@code source}. */
  default void deleteSource(String source) {
    throw new QuarryException(sourcesRefusal(location()));
  }

  /** Whether the index holds chunks (built by {@link SourceSync}): searches then group them into documents. */
  default boolean holdsChunks() {
    return commitData().containsKey(PassageSchema.CHUNKING);
  }

  /** Why sync by file is not offered on an engine that does not serve it. */
  static String sourcesRefusal(String location) {
    return "Indexing folders of files (sync by file) is served by a local Lucene index, not by " + location + ".";
  }

  /** Why the index can no longer take writes, or null if it can. */
  String writeProblem();

  /** True while background work (merges) continues after the last commit. */
  default boolean isMerging() {
    return false;
  }

  /**
   * Pauses (or resumes) background merging while a sync adds many documents: the merges would
   * rebuild graphs that the final {@link #makeQueryReady} builds once. Engines that merge on their
   * own (Solr) ignore it.
   */
  default void pauseMerges(boolean pause) {}

  /** Told how far a {@link #makeQueryReady} merge is; {@code total} is -1 while it is not known. */
  @FunctionalInterface
  interface MergeListener {
    void onMerge(String phase, long done, long total);
  }

  /**
   * Merges what a bulk load left so that searches run at full speed from the next query: when more
   * than one large segment (or more segments than a merge tier holds) would be searched, everything
   * is merged into one segment, and its graph is built from the largest segment's graph. Everything
   * is committed before, so an interrupted merge loses nothing and the next call does it again.
   *
   * @return whether a merge ran
   */
  default boolean makeQueryReady(MergeListener progress) {
    return false;
  }

  @Override
  void close();
}
