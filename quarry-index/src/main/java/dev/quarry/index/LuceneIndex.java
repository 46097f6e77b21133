package dev.quarry.index;

import dev.quarry.Digests;
import dev.quarry.QuarryException;
import dev.quarry.QuarryFailure;
import dev.quarry.data.Document;
import dev.quarry.search.Hit;
import dev.quarry.search.ReciprocalRankFusion;
import dev.quarry.search.Retriever;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.Set;
import java.util.function.UnaryOperator;
import org.apache.lucene.analysis.Analyzer;
import org.apache.lucene.analysis.TokenStream;
import org.apache.lucene.analysis.en.EnglishAnalyzer;
import org.apache.lucene.analysis.tokenattributes.CharTermAttribute;
import org.apache.lucene.codecs.KnnVectorsFormat;
import org.apache.lucene.codecs.lucene912.Lucene912Codec;
import org.apache.lucene.codecs.lucene99.Lucene99HnswScalarQuantizedVectorsFormat;
import org.apache.lucene.codecs.lucene99.Lucene99HnswVectorsFormat;
import org.apache.lucene.document.Field;
import org.apache.lucene.document.KnnFloatVectorField;
import org.apache.lucene.document.NumericDocValuesField;
import org.apache.lucene.document.StoredField;
import org.apache.lucene.document.StringField;
import org.apache.lucene.document.TextField;
import org.apache.lucene.index.DirectoryReader;
import org.apache.lucene.index.FloatVectorValues;
import org.apache.lucene.index.IndexReader;
import org.apache.lucene.index.IndexWriter;
import org.apache.lucene.index.IndexWriterConfig;
import org.apache.lucene.index.LeafReaderContext;
import org.apache.lucene.index.PostingsEnum;
import org.apache.lucene.index.SegmentInfos;
import org.apache.lucene.index.Term;
import org.apache.lucene.index.Terms;
import org.apache.lucene.index.TermsEnum;
import org.apache.lucene.index.TieredMergePolicy;
import org.apache.lucene.index.VectorSimilarityFunction;
import org.apache.lucene.search.BooleanClause;
import org.apache.lucene.search.BooleanQuery;
import org.apache.lucene.search.BoostQuery;
import org.apache.lucene.search.DocIdSetIterator;
import org.apache.lucene.search.IndexSearcher;
import org.apache.lucene.search.KnnFloatVectorQuery;
import org.apache.lucene.search.Query;
import org.apache.lucene.search.ScoreDoc;
import org.apache.lucene.search.SearcherFactory;
import org.apache.lucene.search.SearcherManager;
import org.apache.lucene.search.TermInSetQuery;
import org.apache.lucene.search.TermQuery;
import org.apache.lucene.search.TopDocs;
import org.apache.lucene.search.similarities.BM25Similarity;
import org.apache.lucene.store.Directory;
import org.apache.lucene.store.FSDirectory;
import org.apache.lucene.util.Bits;
import org.apache.lucene.util.BytesRef;

/**
 * A persistent passage index on Lucene: id, title and text stored; title + text analysed for BM25
 * (Porter-stemmed English, k1 0.9 and b 0.4 as Anserini's BEIR baselines); the embedding in an
 * HNSW graph. Writes become durable at {@link #commit()} (Lucene commits are atomic, so a crash
 * leaves the last commit intact); searches see them after commit or {@link #refresh()}.
 */
public final class LuceneIndex implements PassageIndex {
  public static final String ID = "id";
  public static final String TITLE = "title";
  public static final String TEXT = "text";
  public static final String CONTENTS = "contents";
  public static final String VECTOR = "vector";
  /** A digest of title and text: what an incremental sync compares to skip unchanged documents. */
  public static final String HASH = "hash";
  /** The corpus sync that last saw the document; {@link #NOT_FROM_CORPUS} for documents written through the API. */
  public static final String SYNC_GEN = "sync_gen";
  /** Never deleted by a sync: the corpus file does not know these documents. */
  public static final long NOT_FROM_CORPUS = -1;
  /** Longest document id, in UTF-8 bytes. */
  public static final int MAX_ID_BYTES = 512;
  /** Anserini's BM25 parameters for BEIR (its "flat" regressions). */
  public static final float BM25_K1 = 0.9f;
  public static final float BM25_B = 0.4f;

  private final Path path;
  private final Directory directory;
  private final IndexWriter writer;
  /** The failure of a commit that rolled the writer back, or null. */
  private volatile String failedCommit;
  private final SearcherManager searchers;
  /**
   * Lucene's English analysis: standard tokenizer, possessives, lower case, its 33 stop words,
   * Porter stemmer. quarry-solr's configset spells out the same chain for Solr.
   */
  private static final Analyzer QUERY_ANALYZER = new EnglishAnalyzer();
  private final Analyzer analyzer = new EnglishAnalyzer();
  private final Highlighter highlighter = new Highlighter(analyzer, CONTENTS);
  private final IndexMetadata metadata;
  private final IndexSettings settings;
  private final VectorSimilarityFunction luceneSimilarity;

  private LuceneIndex(Path path, IndexMetadata metadata, IndexSettings settings, UnaryOperator<Directory> wrap) throws IOException {
    this.path = path;
    this.metadata = metadata;
    this.settings = settings;
    this.luceneSimilarity = luceneSimilarity(metadata);
    Files.createDirectories(path);
    this.directory = wrap.apply(FSDirectory.open(path));
    Map<String, String> userData = new HashMap<>();
    if (DirectoryReader.indexExists(directory)) {
      userData.putAll(SegmentInfos.readLatestCommit(directory).getUserData());
      IndexMetadata stored = IndexMetadata.fromUserData(userData, path.toString());
      stored.requireCompatible(metadata, path.toString());
    }
    userData.putAll(metadata.toUserData()); // corpus progress (CorpusSync) is kept
    IndexWriterConfig config = new IndexWriterConfig(analyzer);
    config.setOpenMode(IndexWriterConfig.OpenMode.CREATE_OR_APPEND);
    config.setSimilarity(new BM25Similarity(BM25_K1, BM25_B));
    config.setRAMBufferSizeMB(settings.ramBufferMb());
    TieredMergePolicy merges = new TieredMergePolicy();
    merges.setForceMergeDeletesPctAllowed(0); // expungeDeletes() leaves no deleted document behind
    merges.setMaxMergedSegmentMB(settings.maxSegmentMb());
    config.setMergePolicy(merges);
    config.setCodec(new Lucene912Codec() {
      @Override
      public KnnVectorsFormat getKnnVectorsFormatForField(String field) {
        return settings.int8()
            ? new Lucene99HnswScalarQuantizedVectorsFormat(settings.maxConn(), settings.beamWidth())
            : new Lucene99HnswVectorsFormat(settings.maxConn(), settings.beamWidth());
      }
    });
    this.writer = new IndexWriter(directory, config);
    writer.setLiveCommitData(userData.entrySet());
    writer.commit();
    // BM25 with the index's k1 and b, set once on every searcher as it is opened (not per query on
    // a searcher that other threads share).
    this.searchers = new SearcherManager(writer, new SearcherFactory() {
      @Override
      public IndexSearcher newSearcher(IndexReader reader, IndexReader previous) {
        IndexSearcher searcher = new IndexSearcher(reader);
        searcher.setSimilarity(new BM25Similarity(BM25_K1, BM25_B));
        return searcher;
      }
    });
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
    checkWrite(docs, vectors, metadata.dimension(), uniqueIds);
    List<org.apache.lucene.document.Document> out = new ArrayList<>(docs.size());
    for (int i = 0; i < docs.size(); i++) {
      out.add(toLucene(docs.get(i), vectors[i], syncGeneration));
    }
    return out;
  }

  /**
   * What every index checks before a write, so that a bad document fails the write before any of it
   * is applied: one vector per document, valid ids (and, for all-or-nothing writes, each once), the
   * index's dimension.
   */
  public static void checkWrite(List<Document> docs, float[][] vectors, int dimension, boolean uniqueIds) {
    if (docs.size() != vectors.length) {
      throw new IllegalArgumentException(docs.size() + " documents but " + vectors.length + " vectors");
    }
    Set<String> seen = new HashSet<>();
    for (int i = 0; i < docs.size(); i++) {
      Document d = docs.get(i);
      checkId(d.id());
      if (uniqueIds && !seen.add(d.id())) {
        throw new QuarryException("Document id '" + abbreviate(d.id()) + "' appears twice in one write; send each id once.");
      }
      if (vectors[i].length != dimension) {
        throw new QuarryException("Document " + abbreviate(d.id()) + " has a " + vectors[i].length
            + "-d vector; the index holds " + dimension + "-d vectors.");
      }
    }
  }

  /**
   * Ids are indexed as one term, and Lucene refuses terms over 32,766 bytes ("immense term") in the
   * middle of a write; a far smaller cap keeps ids usable in URLs and logs.
   */
  public static void checkId(String id) {
    int bytes = id.getBytes(StandardCharsets.UTF_8).length;
    if (bytes == 0 || bytes > MAX_ID_BYTES) {
      throw new QuarryException("Document id '" + abbreviate(id) + "' is " + bytes + " bytes of UTF-8; ids must be 1 to "
          + MAX_ID_BYTES + " bytes.");
    }
  }

  private static String abbreviate(String s) {
    return s.length() <= 40 ? s : s.substring(0, 40) + "...";
  }

  /** Deletes a document by id (no-op if absent). */
  public void delete(String id) {
    try {
      writer.deleteDocuments(new Term(ID, id));
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
      searchers.maybeRefreshBlocking();
      int n = withSearcher(s -> s.count(unseen));
      writer.deleteDocuments(unseen);
      return n;
    } catch (IOException e) {
      throw new QuarryFailure("Cannot delete from index " + path + ": " + e.getMessage(), e);
    }
  }

  /** The content digests stored for {@code ids} (absent ids are missing from the map), as of the last refresh. */
  public Map<String, String> storedHashes(List<String> ids) {
    return withSearcher(s -> {
      Map<String, String> out = new HashMap<>();
      for (LeafReaderContext leaf : s.getIndexReader().leaves()) {
        Terms terms = leaf.reader().terms(ID);
        if (terms == null) {
          continue;
        }
        TermsEnum te = terms.iterator();
        Bits live = leaf.reader().getLiveDocs();
        PostingsEnum postings = null;
        var stored = leaf.reader().storedFields();
        for (String id : ids) {
          if (!te.seekExact(new BytesRef(id))) {
            continue;
          }
          postings = te.postings(postings, PostingsEnum.NONE);
          for (int doc = postings.nextDoc(); doc != DocIdSetIterator.NO_MORE_DOCS; doc = postings.nextDoc()) {
            if (live == null || live.get(doc)) {
              String h = stored.document(doc, Set.of(HASH)).get(HASH);
              out.put(id, h == null ? "" : h);
            }
          }
        }
      }
      return out;
    });
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
    kept.keySet().removeIf(k -> !k.startsWith(CorpusSync.PREFIX));
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
    } catch (IOException | RuntimeException e) {
      failedCommit = e.getClass().getSimpleName();
      try {
        writer.rollback();
      } catch (IOException | RuntimeException again) {
        e.addSuppressed(again);
      }
      throw new QuarryFailure("Cannot commit index " + path + ": " + e.getMessage(), e);
    }
    refresh();
  }

  /** Makes writes visible to searches without the cost of a durable commit. */
  public void refresh() {
    try {
      searchers.maybeRefreshBlocking();
    } catch (IOException e) {
      throw new QuarryFailure("Cannot refresh index " + path + ": " + e.getMessage(), e);
    }
  }

  /** Live documents visible to searches. */
  @Override
  public long size() {
    return withSearcher(s -> (long) s.getIndexReader().numDocs());
  }

  /** The stored passage with this id, or null. */
  public Document document(String id) {
    return withSearcher(s -> {
      TopDocs td = s.search(new TermQuery(new Term(ID, id)), 1);
      return td.scoreDocs.length == 0 ? null : stored(s, td.scoreDocs[0].doc);
    });
  }

  /** This index as a {@link dev.quarry.search.Retriever} answering in {@code mode}. */
  public Retriever retriever(SearchMode mode) {
    return new LuceneRetriever(this, mode);
  }

  /** Top-k by the chosen mode; {@code query} text is used by BM25 and hybrid, {@code vector} by the others. */
  public List<Hit> search(SearchMode mode, String query, float[] vector, int k) {
    return switch (mode) {
      case DENSE -> dense(vector, k);
      case EXACT -> exact(vector, k);
      case BM25 -> bm25(query, k);
      case HYBRID -> hybrid(query, vector, k, ReciprocalRankFusion.DEFAULT_K);
    };
  }

  /** Approximate nearest neighbours from the HNSW graph; scores are the model's similarity. */
  public List<Hit> dense(float[] vector, int k) {
    return dense(vector, k, settings.efSearch());
  }

  /** As {@link #dense(float[], int)} with this query's own candidate count (recall vs latency). */
  public List<Hit> dense(float[] vector, int k, int efSearch) {
    int candidates = Math.max(k, efSearch);
    return withSearcher(s -> {
      TopDocs td = s.search(new KnnFloatVectorQuery(VECTOR, vector, candidates), candidates);
      List<Hit> hits = new ArrayList<>();
      for (ScoreDoc sd : td.scoreDocs) {
        if (hits.size() == k) {
          break;
        }
        hits.add(new Hit(sd.doc, s.storedFields().document(sd.doc).get(ID), rawScore(sd.score)));
      }
      return hits;
    });
  }

  /**
   * Every stored vector scored: the exact answer the HNSW graph approximates. Vectors are scored
   * where Lucene keeps them (memory-mapped, segment by segment) into a bounded top-k heap, and only
   * the k winners' ids are read: no copy of the vectors, memory independent of the corpus size.
   */
  public List<Hit> exact(float[] vector, int k) {
    if (vector.length != metadata.dimension()) {
      throw new QuarryException("The query vector is " + vector.length + "-d; the index holds " + metadata.dimension() + "-d vectors.");
    }
    return withSearcher(s -> {
      // Min-heap of the k best; on equal scores the lower doc wins, as ExactSearch keeps corpus order.
      Comparator<Scored> worstFirst = Comparator.comparingDouble(Scored::score)
          .thenComparing(Scored::doc, Comparator.reverseOrder());
      PriorityQueue<Scored> heap = new PriorityQueue<>(k + 1, worstFirst);
      for (LeafReaderContext leaf : s.getIndexReader().leaves()) {
        FloatVectorValues values = leaf.reader().getFloatVectorValues(VECTOR);
        if (values == null) {
          continue;
        }
        Bits live = leaf.reader().getLiveDocs();
        for (int doc = values.nextDoc(); doc != FloatVectorValues.NO_MORE_DOCS; doc = values.nextDoc()) {
          if (live != null && !live.get(doc)) {
            continue;
          }
          float score = metadata.similarity().score(vector, values.vectorValue());
          if (heap.size() < k) {
            heap.add(new Scored(score, leaf.docBase + doc));
          } else if (score > heap.peek().score()) {
            heap.poll();
            heap.add(new Scored(score, leaf.docBase + doc));
          }
        }
      }
      List<Scored> best = new ArrayList<>(heap);
      best.sort(worstFirst.reversed());
      List<Hit> hits = new ArrayList<>(best.size());
      for (Scored b : best) {
        hits.add(new Hit(b.doc(), s.storedFields().document(b.doc(), Set.of(ID)).get(ID), b.score()));
      }
      return hits;
    });
  }

  /**
   * A BM25 query's terms as the index analyses them, each with how often it occurs. A repeated term
   * adds its score once per occurrence; one clause boosted by the count scores the same and keeps
   * "bee bee bee ..." under Lucene's clause limit. Every engine that runs Quarry's BM25 (this index,
   * a Solr collection) builds its query from this.
   */
  public static Map<String, Integer> queryTerms(String query) {
    Map<String, Integer> counts = new LinkedHashMap<>();
    for (String term : analyze(QUERY_ANALYZER, query)) {
      counts.merge(term, 1, Integer::sum);
    }
    if (counts.size() > IndexSearcher.getMaxClauseCount()) {
      throw new QuarryException("The query has " + counts.size() + " distinct terms; BM25 searches at most "
          + IndexSearcher.getMaxClauseCount() + ". Shorten the query.");
    }
    return counts;
  }

  /** BM25 over title + text; query terms are analysed like the documents. */
  public List<Hit> bm25(String query, int k) {
    Map<String, Integer> counts = queryTerms(query);
    BooleanQuery.Builder b = new BooleanQuery.Builder();
    counts.forEach((term, n) -> {
      Query tq = new TermQuery(new Term(CONTENTS, term));
      b.add(n == 1 ? tq : new BoostQuery(tq, n), BooleanClause.Occur.SHOULD);
    });
    BooleanQuery q = b.build();
    if (q.clauses().isEmpty()) {
      return List.of();
    }
    return withSearcher(s -> {
      List<Hit> hits = new ArrayList<>();
      for (ScoreDoc sd : s.search(q, k).scoreDocs) {
        hits.add(new Hit(sd.doc, s.storedFields().document(sd.doc).get(ID), sd.score));
      }
      return hits;
    });
  }

  /**
   * [start, end) character ranges of the words of {@code text} that match a term of {@code query}
   * after this index's analysis (lower-cased, stop words dropped, Porter-stemmed): what to mark.
   */
  public List<int[]> highlight(String query, String text) {
    return highlighter.spans(query, text);
  }

  /** Reciprocal rank fusion of the dense and BM25 top lists (each {@link #hybridDepth} deep). */
  public List<Hit> hybrid(String query, float[] vector, int k, int rrfK) {
    int depth = hybridDepth(k);
    return ReciprocalRankFusion.fuse(List.of(dense(vector, depth), bm25(query, depth)), rrfK, k);
  }

  /** How deep each list fused by hybrid search goes for a top-k answer: 100, or k if more. */
  public static int hybridDepth(int k) {
    return Math.max(k, 100);
  }

  private static List<String> analyze(Analyzer analyzer, String text) {
    List<String> terms = new ArrayList<>();
    try (TokenStream ts = analyzer.tokenStream(CONTENTS, text)) {
      CharTermAttribute term = ts.addAttribute(CharTermAttribute.class);
      ts.reset();
      while (ts.incrementToken()) {
        terms.add(term.toString());
      }
      ts.end();
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
    return terms;
  }

  private org.apache.lucene.document.Document toLucene(Document d, float[] vector, long syncGeneration) {
    org.apache.lucene.document.Document doc = new org.apache.lucene.document.Document();
    doc.add(new StringField(ID, d.id(), Field.Store.YES));
    doc.add(new StoredField(HASH, contentHash(d)));
    doc.add(new NumericDocValuesField(SYNC_GEN, syncGeneration));
    doc.add(new StoredField(TITLE, d.title()));
    doc.add(new StoredField(TEXT, d.text()));
    doc.add(new TextField(CONTENTS, d.fullText(), Field.Store.NO));
    doc.add(new KnnFloatVectorField(VECTOR, vector, luceneSimilarity));
    return doc;
  }

  /** SHA-256 of title and text (first 128 bits, hex): equal digests mean an unchanged document. */
  public static String contentHash(Document d) {
    MessageDigest md = Digests.sha256();
    md.update(d.title().getBytes(StandardCharsets.UTF_8));
    md.update((byte) 0);
    md.update(d.text().getBytes(StandardCharsets.UTF_8));
    return HexFormat.of().formatHex(md.digest(), 0, 16);
  }

  private static Document stored(IndexSearcher s, int doc) throws IOException {
    var d = s.storedFields().document(doc);
    return new Document(d.get(ID), d.get(TITLE), d.get(TEXT));
  }

  /**
   * Lucene's similarity for the model's: unit vectors use DOT_PRODUCT (cosine without the norms),
   * dot products of other vectors need MAXIMUM_INNER_PRODUCT. Manhattan has no HNSW equivalent.
   */
  public static VectorSimilarityFunction luceneSimilarity(IndexMetadata m) {
    return switch (m.similarity()) {
      case COSINE -> m.normalized() ? VectorSimilarityFunction.DOT_PRODUCT : VectorSimilarityFunction.COSINE;
      case DOT -> m.normalized() ? VectorSimilarityFunction.DOT_PRODUCT : VectorSimilarityFunction.MAXIMUM_INNER_PRODUCT;
      case EUCLIDEAN -> VectorSimilarityFunction.EUCLIDEAN;
      case MANHATTAN -> throw new QuarryException("Lucene's HNSW has no Manhattan distance; index with cosine, dot or euclidean.");
    };
  }

  /** Undoes Lucene's mapping of similarities onto non-negative scores, so hits show the model's own score. */
  float rawScore(float luceneScore) {
    return modelScore(luceneSimilarity, luceneScore);
  }

  /** The model's similarity from the score Lucene (or Solr's knn query) gives a vector hit. */
  public static float modelScore(VectorSimilarityFunction luceneSimilarity, float luceneScore) {
    return switch (luceneSimilarity) {
      case DOT_PRODUCT, COSINE -> 2 * luceneScore - 1;
      case MAXIMUM_INNER_PRODUCT -> luceneScore < 1 ? 1 - 1 / luceneScore : luceneScore - 1;
      case EUCLIDEAN -> (float) -Math.sqrt(Math.max(0, 1 / luceneScore - 1));
    };
  }

  private record Scored(float score, int doc) {}

  private interface SearcherFunction<T> {
    T apply(IndexSearcher s) throws IOException;
  }

  private <T> T withSearcher(SearcherFunction<T> fn) {
    IndexSearcher s = null;
    try {
      s = searchers.acquire();
      return fn.apply(s);
    } catch (IOException e) {
      throw new QuarryFailure("Search failed on index " + path + ": " + e.getMessage(), e);
    } finally {
      if (s != null) {
        try {
          searchers.release(s);
        } catch (IOException e) {
          throw new QuarryFailure("Cannot release searcher of " + path + ": " + e.getMessage(), e);
        }
      }
    }
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
      searchers.close();
      writer.rollback();
      directory.close();
    } catch (IOException e) {
      throw new QuarryFailure("Cannot close index " + path + ": " + e.getMessage(), e);
    }
  }

  @Override
  public void close() {
    try {
      searchers.close();
      if (failedCommit == null) { // a rolled-back writer is closed already
        writer.close();
      }
      directory.close();
    } catch (IOException e) {
      throw new QuarryFailure("Cannot close index " + path + ": " + e.getMessage(), e);
    }
  }
}
