package dev.quarry.index.lucene;

import static dev.quarry.index.PassageSchema.CONTENTS;
import static dev.quarry.index.PassageSchema.DOC;
import static dev.quarry.index.PassageSchema.END;
import static dev.quarry.index.PassageSchema.HASH;
import static dev.quarry.index.PassageSchema.ID;
import static dev.quarry.index.PassageSchema.ID_COLUMN;
import static dev.quarry.index.PassageSchema.NOT_FROM_CORPUS;
import static dev.quarry.index.PassageSchema.PAGE;
import static dev.quarry.index.PassageSchema.PATH;
import static dev.quarry.index.PassageSchema.SOURCE;
import static dev.quarry.index.PassageSchema.SOURCE_MTIME;
import static dev.quarry.index.PassageSchema.SOURCE_SHA256;
import static dev.quarry.index.PassageSchema.SOURCE_SIZE;
import static dev.quarry.index.PassageSchema.START;
import static dev.quarry.index.PassageSchema.SYNC_GEN;
import static dev.quarry.index.PassageSchema.TEXT;
import static dev.quarry.index.PassageSchema.TITLE;
import static dev.quarry.index.PassageSchema.VECTOR;

import dev.quarry.FileTrees;
import dev.quarry.QuarryException;
import dev.quarry.QuarryFailure;
import dev.quarry.data.Document;
import dev.quarry.index.IndexLocation;
import dev.quarry.index.IndexMetadata;
import dev.quarry.index.IndexSettings;
import dev.quarry.index.PassageIndex;
import dev.quarry.index.PassageSchema;
import dev.quarry.index.SourceStamp;
import dev.quarry.search.Hit;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.UnaryOperator;
import org.apache.lucene.analysis.Analyzer;
import org.apache.lucene.document.BinaryDocValuesField;
import org.apache.lucene.document.Field;
import org.apache.lucene.document.KnnFloatVectorField;
import org.apache.lucene.document.NumericDocValuesField;
import org.apache.lucene.document.SortedDocValuesField;
import org.apache.lucene.document.StoredField;
import org.apache.lucene.document.StringField;
import org.apache.lucene.document.TextField;
import org.apache.lucene.index.DirectoryReader;
import org.apache.lucene.index.IndexWriter;
import org.apache.lucene.index.IndexWriterConfig;
import org.apache.lucene.index.SegmentCommitInfo;
import org.apache.lucene.index.SegmentInfos;
import org.apache.lucene.index.Term;
import org.apache.lucene.index.VectorSimilarityFunction;
import org.apache.lucene.search.Query;
import org.apache.lucene.search.TermInSetQuery;
import org.apache.lucene.store.Directory;
import org.apache.lucene.store.FSDirectory;
import org.apache.lucene.util.BytesRef;

/**
 * A persistent passage index on Lucene: id, title and text stored; title + text analysed for BM25
 * (Porter-stemmed English, k1 0.9 and b 0.4 as Anserini's BEIR baselines); the embedding in an
 * HNSW graph. Writes become durable at {@link #commit()} (Lucene commits are atomic, so a crash
 * leaves the last commit intact); searches see them after commit or {@link #refresh()}.
 */
public final class LuceneIndex implements PassageIndex {
  private final Path path;
  private final Directory directory;
  private final IndexWriter writer;
  /** Whether the last commit says the index holds chunks (read at every commit, not per search). */
  private volatile boolean holdsChunks;
  /** The failure of a commit that rolled the writer back, or null. */
  private volatile String failedCommit;
  /** The read side: searchers over the writer's latest refresh. */
  private final LuceneSearches searches;
  private final Analyzer analyzer = PassageSchema.analyzer();
  private final IndexMetadata metadata;
  private final IndexSettings settings;
  private final VectorSimilarityFunction luceneSimilarity;
  /** Background merges, paused during a bulk load. */
  private final BulkMergePolicy merges;
  /** The HNSW build progress of a {@link #makeQueryReady} merge. */
  private final MergeProgress mergeProgress = new MergeProgress();
  /** Documents added since merges were paused: past {@link #draftAfter}, a sync is a bulk load. */
  private final java.util.concurrent.atomic.AtomicLong bulkAdded = new java.util.concurrent.atomic.AtomicLong();
  /** Whether segments flushed now get draft graphs ({@link DraftGraphsFormat}): set in a bulk load, never by live writes. */
  private volatile boolean drafting;
  /** Documents a paused (bulk) sync adds with full graphs before it drafts the rest. */
  private long draftAfter = DRAFT_AFTER_DOCS;
  /** Threads that add a large batch in parallel (null with one index thread). */
  private final ExecutorService indexers;

  private LuceneIndex(Path path, IndexMetadata metadata, IndexSettings settings, UnaryOperator<Directory> wrap) throws IOException {
    this.path = path;
    this.metadata = metadata;
    this.settings = settings;
    this.luceneSimilarity = PassageSchema.vectorSimilarity(metadata);
    Files.createDirectories(path);
    this.directory = wrap.apply(FSDirectory.open(path));
    Map<String, String> userData = new HashMap<>();
    if (DirectoryReader.indexExists(directory)) {
      userData.putAll(SegmentInfos.readLatestCommit(directory).getUserData());
      IndexMetadata stored = IndexMetadata.fromUserData(userData, path.toString());
      stored.requireCompatible(metadata, path.toString());
      String held = userData.get(QUANTIZATION); // absent in indexes built before it was recorded: taken as given
      if (held != null && !held.equals(settings.quantization().name())) {
        directory.close();
        throw new QuarryException("Index " + path + " holds " + describe(held) + " vectors, not " + describe(settings.quantization().name())
            + " ones: open it with " + (held.equals("NONE") ? "neither --int8 nor --int4" : "--" + held.toLowerCase(java.util.Locale.ROOT))
            + ", or use another --index folder.");
      }
    }
    userData.putAll(metadata.toUserData()); // corpus progress (CorpusSync) is kept
    userData.put(QUANTIZATION, settings.quantization().name());
    this.merges = new BulkMergePolicy(LuceneWriterConfig.tiered(settings));
    IndexWriterConfig config = LuceneWriterConfig.of(analyzer, settings, merges, mergeProgress, () -> drafting);
    this.writer = new IndexWriter(directory, config);
    this.indexers = settings.indexThreads() > 1
        ? Executors.newFixedThreadPool(settings.indexThreads(), LuceneWriterConfig.daemon("quarry-indexer")) : null;
    writer.setLiveCommitData(userData.entrySet());
    writer.commit();
    this.holdsChunks = userData.containsKey(PassageSchema.CHUNKING);
    this.searches = new LuceneSearches(writer, path, metadata, settings.quantized());
  }

  /** Commit data: how the graph's vectors are stored (an index is searched as it was built: quantised ones are rescored). */
  static final String QUANTIZATION = "quarry.index.quantization";

  private static String describe(String quantization) {
    return quantization.equals("NONE") ? "float32" : quantization.toLowerCase(java.util.Locale.ROOT);
  }

  /** Opens (or creates) the index at {@code path} for a model; a mismatched model or quantisation is refused. */
  public static LuceneIndex open(Path path, IndexMetadata metadata, IndexSettings settings) {
    return open(path, metadata, settings, UnaryOperator.identity());
  }

  /** As above, over a wrapped directory (tests inject I/O faults this way). */
  static LuceneIndex open(Path path, IndexMetadata metadata, IndexSettings settings, UnaryOperator<Directory> wrap) {
    try {
      return new LuceneIndex(path, metadata, settings, wrap);
    } catch (IOException e) {
      throw new QuarryException("Cannot open index " + path + ": " + e.getMessage(), e);
    }
  }

  /** The index folder {@code path} as a place {@link dev.quarry.index.CorpusIndexer} can open, rebuild and sync. */
  public static IndexLocation<LuceneIndex> at(Path path) {
    return new IndexLocation<>() {
      @Override
      public LuceneIndex open(IndexMetadata metadata, IndexSettings settings) {
        return LuceneIndex.open(path, metadata, settings);
      }

      @Override
      public void delete() {
        FileTrees.delete(path);
      }

      @Override
      public String toString() {
        return path.toString();
      }
    };
  }

  /** The metadata recorded in the index at {@code path}, or null if there is no index. */
  public static IndexMetadata readMetadata(Path path) {
    if (!Files.isDirectory(path)) {
      return null;
    }
    try (Directory d = FSDirectory.open(path)) {
      return DirectoryReader.indexExists(d)
          ? IndexMetadata.fromUserData(SegmentInfos.readLatestCommit(d).getUserData(), path.toString()) : null;
    } catch (IOException e) {
      throw new QuarryException("Cannot read index " + path + ": " + e.getMessage(), e);
    }
  }

  @Override
  public IndexMetadata metadata() {
    return metadata;
  }

  @Override
  public String location() {
    return path.toString();
  }

  /**
   * Adds or replaces documents, recording the corpus sync generation that wrote them. A large batch
   * is added by {@link IndexSettings#indexThreads()} threads, each into its own segment and graph
   * (HNSW insertion is the cost of adding a document with a precomputed vector); a document's id
   * picks its thread, so a repeated id is still written in file order.
   */
  public void upsert(List<Document> docs, float[][] vectors, long syncGeneration) {
    List<org.apache.lucene.document.Document> lucene = validated(docs, vectors, syncGeneration, false);
    countBulk(docs.size());
    int threads = indexers == null || docs.size() < PARALLEL_BATCH ? 1 : settings.indexThreads();
    if (threads == 1) {
      addSlice(docs, lucene, 0, 1);
      return;
    }
    List<Future<?>> slices = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      int slice = t;
      slices.add(indexers.submit(() -> addSlice(docs, lucene, slice, threads)));
    }
    for (Future<?> f : slices) {
      try {
        f.get();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new QuarryFailure("Interrupted while writing to index " + path, e);
      } catch (ExecutionException e) {
        throw e.getCause() instanceof RuntimeException r ? r : new QuarryFailure("Cannot write to index " + path, e.getCause());
      }
    }
  }

  /**
   * A sync that has added this many documents with merges paused is a bulk load: the segments it
   * flushes from then on get draft graphs, and the final merge is owed (so small syncs of a large
   * index never trigger a full merge).
   */
  static final long DRAFT_AFTER_DOCS = 50_000;

  /** Commit data: segments with draft graphs are committed, so {@link #makeQueryReady} must merge. */
  static final String DRAFT_GRAPHS = "quarry.index.draft-graphs";

  /** Tests lower the bulk-load threshold to see drafting on a small index. */
  void draftAfter(long docs) {
    this.draftAfter = docs;
  }

  /**
   * How large a draft segment may grow: below the largest full segment. The final merge starts from
   * the largest segment's graph (Lucene's choice), which must be a full graph: seeded from a draft,
   * the merged graph lost 2.5 points of recall@10 at 100k vectors. Drafts are thrown away, so small
   * ones cost nothing extra; full segments still buffered flush larger than this at the next commit.
   */
  private int draftSegmentDocs() {
    int largestFull = segments().stream().filter(s -> s[1] == 0).mapToInt(s -> s[0]).max().orElse(2 * MAX_DRAFT_SEGMENT_DOCS);
    return Math.max(MIN_DRAFT_SEGMENT_DOCS, Math.min(MAX_DRAFT_SEGMENT_DOCS, largestFull / 2));
  }

  static final int MIN_DRAFT_SEGMENT_DOCS = 256;
  static final int MAX_DRAFT_SEGMENT_DOCS = 4096;

  /** Counts a paused sync's additions and starts drafting once it is a bulk load. */
  private void countBulk(int docs) {
    if (merges.paused() && bulkAdded.addAndGet(docs) >= draftAfter && !drafting) {
      drafting = true;
      writer.getConfig().setMaxBufferedDocs(draftSegmentDocs());
    }
  }

  /** Batches smaller than this are added on the caller's thread. */
  static final int PARALLEL_BATCH = 512;

  private void addSlice(List<Document> docs, List<org.apache.lucene.document.Document> lucene, int slice, int slices) {
    try {
      for (int i = 0; i < docs.size(); i++) {
        String id = docs.get(i).id();
        if (slices == 1 || Math.floorMod(id.hashCode(), slices) == slice) {
          writer.updateDocument(new Term(ID, id), lucene.get(i));
        }
      }
    } catch (IOException e) {
      throw new QuarryFailure("Cannot write to index " + path + ": " + e.getMessage(), e);
    }
  }

  /**
   * Adds or replaces documents of the API all or nothing: every document is checked first, then
   * Lucene deletes the old versions and adds the new ones as one block, which it applies
   * atomically: if adding any document fails, none is added and nothing is deleted.
   */
  public void replaceAtomically(List<Document> docs, float[][] vectors) {
    List<org.apache.lucene.document.Document> lucene = validated(docs, vectors, NOT_FROM_CORPUS, true);
    List<BytesRef> ids = docs.stream().map(d -> new BytesRef(d.id())).toList();
    try {
      writer.updateDocuments(new TermInSetQuery(ID, ids), lucene);
    } catch (IOException e) {
      throw new QuarryFailure("Cannot write to index " + path + ": " + e.getMessage(), e);
    }
  }

  /** Checks ids, dimensions and duplicates before anything reaches the writer. */
  private List<org.apache.lucene.document.Document> validated(List<Document> docs, float[][] vectors, long syncGeneration,
      boolean uniqueIds) {
    PassageSchema.checkWrite(docs, vectors, metadata.dimension(), uniqueIds);
    List<org.apache.lucene.document.Document> out = new ArrayList<>(docs.size());
    for (int i = 0; i < docs.size(); i++) {
      out.add(toLucene(docs.get(i), vectors[i], syncGeneration));
    }
    return out;
  }

  @Override
  public boolean holdsChunks() {
    return holdsChunks;
  }

  @Override
  public Map<String, SourceStamp> sources() {
    return searches.sources();
  }

  /**
   * Replaces a source's chunks as one block ({@link IndexWriter#updateDocuments}): Lucene applies
   * the delete of the old chunks and the adds together, so no commit holds half a file.
   */
  @Override
  public void replaceSource(String source, SourceStamp stamp, List<Document> chunks, float[][] vectors) {
    List<org.apache.lucene.document.Document> lucene = validated(chunks, vectors, NOT_FROM_CORPUS, true);
    countBulk(chunks.size());
    for (org.apache.lucene.document.Document doc : lucene) {
      doc.add(new StringField(SOURCE, source, Field.Store.NO));
      doc.add(new SortedDocValuesField(SOURCE, new BytesRef(source)));
      doc.add(new NumericDocValuesField(SOURCE_SIZE, stamp.size()));
      doc.add(new NumericDocValuesField(SOURCE_MTIME, stamp.mtime()));
      doc.add(new SortedDocValuesField(SOURCE_SHA256, new BytesRef(stamp.sha256())));
    }
    try {
      writer.updateDocuments(new Term(SOURCE, source), lucene);
    } catch (IOException e) {
      throw new QuarryFailure("Cannot write to index " + path + ": " + e.getMessage(), e);
    }
  }

  @Override
  public void touchSource(String source, long mtime) {
    try {
      writer.updateNumericDocValue(new Term(SOURCE, source), SOURCE_MTIME, mtime);
    } catch (IOException e) {
      throw new QuarryFailure("Cannot write to index " + path + ": " + e.getMessage(), e);
    }
  }

  @Override
  public void deleteSource(String source) {
    try {
      writer.deleteDocuments(new Term(SOURCE, source));
    } catch (IOException e) {
      throw new QuarryFailure("Cannot delete from index " + path + ": " + e.getMessage(), e);
    }
  }

  /** Deletes documents by id in one operation (absent ids are ignored). */
  public void delete(List<String> ids) {
    try {
      writer.deleteDocuments(ids.stream().map(id -> new Term(ID, id)).toArray(Term[]::new));
    } catch (IOException e) {
      throw new QuarryFailure("Cannot delete from index " + path + ": " + e.getMessage(), e);
    }
  }

  @Override
  public void pauseMerges(boolean pause) {
    merges.pause(pause);
    if (!pause) {
      drafting = false; // segments already drafted are in the commit data (DRAFT_GRAPHS)
      writer.getConfig().setMaxBufferedDocs(IndexWriterConfig.DISABLE_AUTO_FLUSH);
    }
    bulkAdded.set(0);
  }

  /** Segments in the last commit's view, largest first: {document count, deleted count} each. */
  public List<int[]> segments() {
    try {
      SegmentInfos infos = SegmentInfos.readLatestCommit(directory);
      List<int[]> out = new ArrayList<>();
      for (SegmentCommitInfo si : infos) {
        out.add(new int[] {si.info.maxDoc(), si.getDelCount()});
      }
      out.sort((a, b) -> Integer.compare(b[0] - b[1], a[0] - a[1]));
      return out;
    } catch (IOException e) {
      throw new QuarryFailure("Cannot read index " + path + ": " + e.getMessage(), e);
    }
  }

  /** More segments than this are merged by {@link #makeQueryReady} even when they are all small (TieredMergePolicy's tier). */
  static final int MAX_SMALL_SEGMENTS = 10;

  /**
   * Whether a search would walk more than one large graph or more small ones than a merge tier
   * holds: what {@link #makeQueryReady} merges away.
   */
  public boolean needsMerge() {
    List<int[]> segs = segments();
    long large = segs.stream().filter(s -> s[0] - s[1] >= settings.smallSegmentDocs()).count();
    return commitData().containsKey(DRAFT_GRAPHS) || (segs.size() > 1 && (large > 1 || segs.size() > MAX_SMALL_SEGMENTS));
  }

  @Override
  public boolean makeQueryReady(MergeListener progress) {
    merges.pause(false);
    try {
      if (writer.hasUncommittedChanges()) {
        commit();
      }
      if (!needsMerge()) {
        writer.maybeMerge(); // small segments: the tiered policy tidies them in the background
        return false;
      }
      List<int[]> segs = segments();
      long docs = segs.stream().mapToLong(s -> s[0] - s[1]).sum();
      if (progress != null) {
        progress.onMerge("merging " + segs.size() + " segments (" + docs + " documents) into one", 0, -1);
        mergeProgress.attach(progress);
      }
      try {
        writer.forceMerge(1, true);
      } finally {
        mergeProgress.detach();
      }
      Map<String, String> kept = new HashMap<>(commitData());
      kept.keySet().removeIf(k -> !k.startsWith(PassageSchema.SYNC_PROGRESS_PREFIX));
      commit(kept, false); // every graph is full now
      return true;
    } catch (IOException e) {
      throw new QuarryFailure("Cannot merge index " + path + ": " + e.getMessage(), e);
    }
  }

  /** True while Lucene merges segments in the background (close() waits for them). */
  public boolean isMerging() {
    return writer.hasPendingMerges() || !writer.getMergingSegments().isEmpty();
  }

  /** Why the index can no longer take writes (its writer closed after a fatal error), or null if it can. */
  public String writeProblem() {
    if (failedCommit != null) {
      return "a commit failed (" + failedCommit + "); its writes were rolled back and the index takes no more writes: restart";
    }
    Throwable tragic = writer.getTragicException();
    if (tragic != null) {
      return "the index writer stopped after a fatal error: " + tragic.getClass().getSimpleName();
    }
    return writer.isOpen() ? null : "the index writer is closed";
  }

  /** Marks an unchanged corpus document as seen by sync {@code generation} (a doc-values update, no re-indexing). */
  public void markSeen(String id, long generation) {
    try {
      writer.updateNumericDocValue(new Term(ID, id), SYNC_GEN, generation);
    } catch (IOException e) {
      throw new QuarryFailure("Cannot write to index " + path + ": " + e.getMessage(), e);
    }
  }

  /** Deletes the corpus documents that sync {@code generation} did not see; returns how many. */
  public int deleteUnseen(long generation) {
    Query unseen = NumericDocValuesField.newSlowRangeQuery(SYNC_GEN, 0, generation - 1);
    try {
      searches.refresh();
      int n = searches.count(unseen);
      writer.deleteDocuments(unseen);
      return n;
    } catch (IOException e) {
      throw new QuarryFailure("Cannot delete from index " + path + ": " + e.getMessage(), e);
    }
  }

  /** The user data of the last commit (the model metadata and whatever {@link #commit(java.util.Map)} added). */
  public Map<String, String> commitData() {
    try {
      return SegmentInfos.readLatestCommit(directory).getUserData();
    } catch (IOException e) {
      throw new QuarryFailure("Cannot read index " + path + ": " + e.getMessage(), e);
    }
  }

  /** Makes all writes so far durable and visible to searches, keeping the last commit's extra data. */
  public void commit() {
    Map<String, String> kept = new HashMap<>(commitData());
    kept.keySet().removeIf(k -> !k.startsWith(PassageSchema.SYNC_PROGRESS_PREFIX));
    commit(kept);
  }

  /** As {@link #commit(Map)}; records draft graphs while any may be committed ({@code keepDraftFlag}). */
  private void commit(Map<String, String> extra, boolean keepDraftFlag) {
    Map<String, String> data = new HashMap<>(extra);
    if (keepDraftFlag && (drafting || commitData().containsKey(DRAFT_GRAPHS))) {
      data.put(DRAFT_GRAPHS, "true");
    }
    commitNow(data);
  }

  /**
   * Commits with {@code extra} user data (corpus progress) beside the model metadata. A commit that
   * fails rolls the writer back to the last commit and closes it for good: Lucene would otherwise
   * keep the failed commit's documents buffered, and the next commit would make durable writes
   * that were answered with an error. {@link #writeProblem()} then says so.
   */
  public void commit(Map<String, String> extra) {
    commit(extra, true);
  }

  private void commitNow(Map<String, String> extra) {
    try {
      Map<String, String> data = new HashMap<>(metadata.toUserData());
      data.put(QUANTIZATION, settings.quantization().name());
      data.putAll(extra);
      writer.setLiveCommitData(data.entrySet());
      writer.commit();
      holdsChunks = data.containsKey(PassageSchema.CHUNKING);
    } catch (IOException | RuntimeException e) {
      failedCommit = e.getClass().getSimpleName();
      try {
        writer.rollback();
      } catch (IOException | RuntimeException again) {
        e.addSuppressed(again);
      }
      throw new QuarryFailure("Cannot commit index " + path + ": " + e.getMessage(), e);
    }
    searches.refresh();
  }

  /** Makes writes visible to searches without the cost of a durable commit. */
  public void refresh() {
    searches.refresh();
  }

  @Override
  public long size() {
    return searches.size();
  }

  @Override
  public Map<String, String> storedHashes(List<String> ids) {
    return searches.storedHashes(ids);
  }

  @Override
  public Map<String, Document> documents(Collection<String> ids) {
    return searches.documents(ids);
  }

  @Override
  public List<Hit> dense(float[] vector, int k) {
    return searches.dense(vector, k, settings.efSearch(), settings.oversample()).hits();
  }

  /** As {@link #dense(float[], int)} with this query's own candidate count (recall vs latency). */
  public List<Hit> dense(float[] vector, int k, int efSearch) {
    return searches.dense(vector, k, efSearch, settings.oversample()).hits();
  }

  /** As above, with the oversampling of a quantised index given, and what the search read. */
  public DenseSearch denseSearch(float[] vector, int k, int efSearch, float oversample) {
    return searches.dense(vector, k, efSearch, oversample);
  }

  /** Exact search is served: vectors are scored where Lucene keeps them, memory-mapped. */
  @Override
  public boolean servesExact() {
    return true;
  }

  @Override
  public List<Hit> exact(float[] vector, int k) {
    return searches.exact(vector, k);
  }

  @Override
  public List<Hit> bm25(String query, int k) {
    return searches.bm25(query, k);
  }

  private org.apache.lucene.document.Document toLucene(Document d, float[] vector, long syncGeneration) {
    org.apache.lucene.document.Document doc = new org.apache.lucene.document.Document();
    doc.add(new StringField(ID, d.id(), Field.Store.YES));
    doc.add(new BinaryDocValuesField(ID_COLUMN, new BytesRef(d.id())));
    doc.add(new StoredField(HASH, PassageSchema.contentHash(d)));
    doc.add(new NumericDocValuesField(SYNC_GEN, syncGeneration));
    doc.add(new StoredField(TITLE, d.title()));
    doc.add(new StoredField(TEXT, d.text()));
    doc.add(new TextField(CONTENTS, d.fullText(), Field.Store.NO));
    if (d.origin() != null) {
      doc.add(new StoredField(DOC, d.origin().documentId()));
      doc.add(new StoredField(PATH, d.origin().path()));
      doc.add(new StoredField(PAGE, d.origin().page()));
      doc.add(new StoredField(START, d.origin().start()));
      doc.add(new StoredField(END, d.origin().end()));
    }
    doc.add(new KnnFloatVectorField(VECTOR, vector, luceneSimilarity));
    return doc;
  }

  /**
   * Adds whole indexes built elsewhere (per-partition indexes of a Spark job) as they are, segment
   * by segment, after checking each was built with this index's model. Ids must not repeat across
   * the parts: nothing here replaces by id.
   */
  public void addIndexes(List<Path> parts) {
    List<Directory> dirs = new ArrayList<>();
    try {
      for (Path p : parts) {
        Directory d = FSDirectory.open(p);
        dirs.add(d);
        IndexMetadata.fromUserData(SegmentInfos.readLatestCommit(d).getUserData(), p.toString()).requireCompatible(metadata, p.toString());
      }
      writer.addIndexes(dirs.toArray(Directory[]::new));
    } catch (IOException e) {
      throw new QuarryFailure("Cannot add indexes to " + path + ": " + e.getMessage(), e);
    } finally {
      for (Directory d : dirs) {
        try {
          d.close();
        } catch (IOException ignored) {
          // read-only use; nothing to lose
        }
      }
    }
  }

  /**
   * Merges deleted and replaced documents out of the segments. BM25 counts them in its statistics
   * (document count, average length) until a merge drops them, so after an incremental sync its
   * scores differ slightly from a fresh build's until then; this makes them equal, at the cost of
   * rewriting every segment that holds a deletion.
   */
  public void expungeDeletes() {
    try {
      writer.forceMergeDeletes(true);
      commit();
    } catch (IOException e) {
      throw new QuarryFailure("Cannot merge index " + path + ": " + e.getMessage(), e);
    }
  }

  /** Closes, dropping everything since the last commit: what a kill leaves (for tests of recovery). */
  void closeWithoutCommit() {
    if (indexers != null) {
      indexers.shutdown();
    }
    try {
      searches.close();
      writer.rollback();
      directory.close();
    } catch (IOException e) {
      throw new QuarryFailure("Cannot close index " + path + ": " + e.getMessage(), e);
    }
  }

  @Override
  public void close() {
    if (indexers != null) {
      indexers.shutdown();
    }
    try {
      searches.close();
      if (failedCommit == null) { // a rolled-back writer is closed already
        writer.close();
      }
      directory.close();
    } catch (IOException e) {
      throw new QuarryFailure("Cannot close index " + path + ": " + e.getMessage(), e);
    }
  }
}
