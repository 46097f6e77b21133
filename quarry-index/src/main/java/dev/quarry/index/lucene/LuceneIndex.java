package dev.quarry.index.lucene;

import static dev.quarry.index.PassageSchema.CONTENTS;
import static dev.quarry.index.PassageSchema.DOC;
import static dev.quarry.index.PassageSchema.END;
import static dev.quarry.index.PassageSchema.HASH;
import static dev.quarry.index.PassageSchema.ID;
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
import java.util.function.UnaryOperator;
import org.apache.lucene.analysis.Analyzer;
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
    }
    userData.putAll(metadata.toUserData()); // corpus progress (CorpusSync) is kept
    IndexWriterConfig config = LuceneWriterConfig.of(analyzer, settings);
    this.writer = new IndexWriter(directory, config);
    writer.setLiveCommitData(userData.entrySet());
    writer.commit();
    this.holdsChunks = userData.containsKey(PassageSchema.CHUNKING);
    this.searches = new LuceneSearches(writer, path, metadata, settings);
  }

  /** Opens (or creates) the index at {@code path} for a model; a mismatched model is refused. */
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

  /** Adds or replaces documents, recording the corpus sync generation that wrote them. */
  public void upsert(List<Document> docs, float[][] vectors, long syncGeneration) {
    List<org.apache.lucene.document.Document> lucene = validated(docs, vectors, syncGeneration, false);
    try {
      for (int i = 0; i < docs.size(); i++) {
        writer.updateDocument(new Term(ID, docs.get(i).id()), lucene.get(i));
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

  /**
   * Commits with {@code extra} user data (corpus progress) beside the model metadata. A commit that
   * fails rolls the writer back to the last commit and closes it for good: Lucene would otherwise
   * keep the failed commit's documents buffered, and the next commit would make durable writes
   * that were answered with an error. {@link #writeProblem()} then says so.
   */
  public void commit(Map<String, String> extra) {
    try {
      Map<String, String> data = new HashMap<>(metadata.toUserData());
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
    return searches.dense(vector, k, settings.efSearch());
  }

  /** As {@link #dense(float[], int)} with this query's own candidate count (recall vs latency). */
  public List<Hit> dense(float[] vector, int k, int efSearch) {
    return searches.dense(vector, k, efSearch);
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
