package dev.quarry.index.lucene;

import static dev.quarry.index.PassageSchema.BM25_B;
import static dev.quarry.index.PassageSchema.BM25_K1;
import static dev.quarry.index.PassageSchema.CONTENTS;
import static dev.quarry.index.PassageSchema.DOC;
import static dev.quarry.index.PassageSchema.END;
import static dev.quarry.index.PassageSchema.HASH;
import static dev.quarry.index.PassageSchema.ID;
import static dev.quarry.index.PassageSchema.ID_COLUMN;
import static dev.quarry.index.PassageSchema.PAGE;
import static dev.quarry.index.PassageSchema.PATH;
import static dev.quarry.index.PassageSchema.SOURCE;
import static dev.quarry.index.PassageSchema.SOURCE_MTIME;
import static dev.quarry.index.PassageSchema.SOURCE_SHA256;
import static dev.quarry.index.PassageSchema.SOURCE_SIZE;
import static dev.quarry.index.PassageSchema.START;
import static dev.quarry.index.PassageSchema.TEXT;
import static dev.quarry.index.PassageSchema.TITLE;
import static dev.quarry.index.PassageSchema.VECTOR;

import dev.quarry.QuarryFailure;
import dev.quarry.data.Document;
import dev.quarry.index.IndexMetadata;
import dev.quarry.index.PassageSchema;
import dev.quarry.index.SourceStamp;
import dev.quarry.search.Hit;
import dev.quarry.search.TopK;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Consumer;
import org.apache.lucene.index.BinaryDocValues;
import org.apache.lucene.index.FloatVectorValues;
import org.apache.lucene.index.IndexReader;
import org.apache.lucene.index.IndexWriter;
import org.apache.lucene.index.LeafReader;
import org.apache.lucene.index.LeafReaderContext;
import org.apache.lucene.index.NumericDocValues;
import org.apache.lucene.index.PostingsEnum;
import org.apache.lucene.index.ReaderUtil;
import org.apache.lucene.index.SortedDocValues;
import org.apache.lucene.index.StoredFields;
import org.apache.lucene.index.Term;
import org.apache.lucene.index.Terms;
import org.apache.lucene.index.TermsEnum;
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
import org.apache.lucene.search.TermQuery;
import org.apache.lucene.search.TopDocs;
import org.apache.lucene.search.similarities.BM25Similarity;
import org.apache.lucene.util.Bits;
import org.apache.lucene.util.BytesRef;

/**
 * The read side of a {@link LuceneIndex}: searchers over its writer's latest refresh (near real
 * time), and the retrieval primitives and lookups that run on them. Each call acquires a searcher
 * and releases it, so a refresh never pulls a segment from under a running search.
 */
final class LuceneSearches implements AutoCloseable {
  private final SearcherManager searchers;
  private final Path path;
  private final IndexMetadata metadata;
  private final VectorSimilarityFunction luceneSimilarity;
  /** Whether the graph holds quantised vectors: candidates are then rescored with the float ones. */
  private final boolean quantized;
  /**
   * Searches the segments of one query in parallel when there are several large ones (Lucene
   * forks one task per segment and runs the last on the caller, so one segment costs no handoff).
   */
  private static final ExecutorService SEGMENT_SEARCH =
      Executors.newFixedThreadPool(Runtime.getRuntime().availableProcessors(), LuceneWriterConfig.daemon("quarry-segment-search"));

  LuceneSearches(IndexWriter writer, Path path, IndexMetadata metadata, boolean quantized) throws IOException {
    this.path = path;
    this.metadata = metadata;
    this.quantized = quantized;
    this.luceneSimilarity = PassageSchema.vectorSimilarity(metadata);
    // BM25 with the index's k1 and b, set once on every searcher as it is opened (not per query on
    // a searcher that other threads share).
    this.searchers = new SearcherManager(writer, new SearcherFactory() {
      @Override
      public IndexSearcher newSearcher(IndexReader reader, IndexReader previous) {
        IndexSearcher searcher = new IndexSearcher(reader, SEGMENT_SEARCH);
        searcher.setSimilarity(new BM25Similarity(BM25_K1, BM25_B));
        return searcher;
      }
    });
  }

  /** Documents matching {@code query}, as of the last refresh. */
  int count(Query query) {
    return withSearcher(s -> s.count(query));
  }

  /** Makes writes visible to searches without the cost of a durable commit. */
  void refresh() {
    try {
      searchers.maybeRefreshBlocking();
    } catch (IOException e) {
      throw new QuarryFailure("Cannot refresh index " + path + ": " + e.getMessage(), e);
    }
  }

  /** Live documents visible to searches. */
  long size() {
    return withSearcher(s -> (long) s.getIndexReader().numDocs());
  }

  /** The content digests stored for {@code ids} (absent ids are missing from the map), as of the last refresh. */
  Map<String, String> storedHashes(List<String> ids) {
    Map<String, String> out = new HashMap<>();
    forEachLive(ids, Set.of(ID, HASH), d -> out.put(d.get(ID), d.get(HASH) == null ? "" : d.get(HASH)));
    return out;
  }

  /** The stored passages with these ids, in one pass over the id terms of each segment (absent ids are missing). */
  Map<String, Document> documents(Collection<String> ids) {
    Map<String, Document> out = new HashMap<>();
    forEachLive(ids, Set.of(ID, TITLE, TEXT, DOC, PATH, PAGE, START, END), d -> out.put(d.get(ID), toDocument(d)));
    return out;
  }

  private static Document toDocument(org.apache.lucene.document.Document d) {
    String doc = d.get(DOC);
    Document.Origin origin = doc == null ? null : new Document.Origin(doc, d.get(PATH), d.getField(PAGE).numericValue().intValue(),
        d.getField(START).numericValue().intValue(), d.getField(END).numericValue().intValue());
    return new Document(d.get(ID), d.get(TITLE), d.get(TEXT), origin);
  }

  /**
   * Each source's stamp, read from doc values: one pass over the chunks' columns, no stored fields,
   * so a million chunks take well under a second.
   */
  Map<String, SourceStamp> sources() {
    return withSearcher(s -> {
      Map<String, SourceStamp> out = new HashMap<>();
      for (LeafReaderContext leaf : s.getIndexReader().leaves()) {
        LeafReader r = leaf.reader();
        SortedDocValues source = r.getSortedDocValues(SOURCE);
        if (source == null) {
          continue;
        }
        NumericDocValues size = r.getNumericDocValues(SOURCE_SIZE);
        NumericDocValues mtime = r.getNumericDocValues(SOURCE_MTIME);
        SortedDocValues sha = r.getSortedDocValues(SOURCE_SHA256);
        Bits live = r.getLiveDocs();
        for (int doc = source.nextDoc(); doc != DocIdSetIterator.NO_MORE_DOCS; doc = source.nextDoc()) {
          if (live != null && !live.get(doc)) {
            continue;
          }
          String id = source.lookupOrd(source.ordValue()).utf8ToString();
          if (out.containsKey(id)) {
            continue;
          }
          size.advanceExact(doc);
          mtime.advanceExact(doc);
          sha.advanceExact(doc);
          out.put(id, new SourceStamp(size.longValue(), mtime.longValue(), sha.lookupOrd(sha.ordValue()).utf8ToString()));
        }
      }
      return out;
    });
  }

  /** Reads {@code fields} of the live document of each id, seeking the id terms segment by segment. */
  private void forEachLive(Collection<String> ids, Set<String> fields, Consumer<org.apache.lucene.document.Document> sink) {
    withSearcher(s -> {
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
              sink.accept(stored.document(doc, fields));
            }
          }
        }
      }
      return null;
    });
  }

  /**
   * Approximate nearest neighbours from the HNSW graph, {@code efSearch} candidates explored; scores
   * are the model's similarity. On a quantised graph the best {@code k × oversample} candidates are
   * rescored with the float vectors (read for those documents only) and the top k kept.
   */
  DenseSearch dense(float[] vector, int k, int efSearch, float oversample) {
    PassageSchema.checkQueryVector(vector, metadata);
    int fetch = quantized ? (int) Math.ceil(k * (double) oversample) : k;
    int candidates = Math.max(fetch, efSearch);
    return withSearcher(s -> {
      CountingKnnQuery query = new CountingKnnQuery(vector, candidates);
      TopDocs td = s.search(query, candidates);
      ScoreDoc[] top = Arrays.copyOf(td.scoreDocs, Math.min(fetch, td.scoreDocs.length));
      int rescored = 0;
      if (quantized) {
        rescore(s, vector, top);
        rescored = top.length;
      } else {
        for (ScoreDoc sd : top) {
          sd.score = PassageSchema.modelScore(luceneSimilarity, sd.score);
        }
      }
      return new DenseSearch(hits(s, Arrays.copyOf(top, Math.min(k, top.length))), query.visited.get(), rescored);
    });
  }

  /** Lucene's HNSW query, keeping the count of graph nodes each segment's search scored (what the merged result drops). */
  private static final class CountingKnnQuery extends KnnFloatVectorQuery {
    final java.util.concurrent.atomic.AtomicLong visited = new java.util.concurrent.atomic.AtomicLong();

    CountingKnnQuery(float[] vector, int k) {
      super(VECTOR, vector, k);
    }

    @Override
    protected TopDocs mergeLeafResults(TopDocs[] perLeafResults) {
      for (TopDocs td : perLeafResults) {
        visited.addAndGet(td.totalHits.value);
      }
      return super.mergeLeafResults(perLeafResults);
    }
  }

  /**
   * Replaces each candidate's quantised score with the model's similarity to its float vector and
   * sorts best first (ties to the lower doc id). Candidates are visited segment by segment in doc
   * order, so each segment's float vectors are read forward, only at the candidates.
   */
  private void rescore(IndexSearcher s, float[] vector, ScoreDoc[] top) throws IOException {
    ScoreDoc[] byDoc = top.clone();
    Arrays.sort(byDoc, Comparator.comparingInt(sd -> sd.doc));
    List<LeafReaderContext> leaves = s.getIndexReader().leaves();
    FloatVectorValues values = null;
    int leafIndex = -1;
    for (ScoreDoc sd : byDoc) {
      int li = ReaderUtil.subIndex(sd.doc, leaves);
      LeafReaderContext leaf = leaves.get(li);
      if (li != leafIndex) {
        leafIndex = li;
        values = leaf.reader().getFloatVectorValues(VECTOR);
      }
      int doc = sd.doc - leaf.docBase;
      if (values == null || values.advance(doc) != doc) {
        throw new IllegalStateException("No float vector for a graph candidate (doc " + sd.doc + ") in " + path);
      }
      sd.score = metadata.similarity().score(vector, values.vectorValue());
    }
    Arrays.sort(top, (a, b) -> a.score != b.score ? Float.compare(b.score, a.score) : Integer.compare(a.doc, b.doc));
  }

  /**
   * Every stored vector scored: the exact answer the HNSW graph approximates. Vectors are scored
   * where Lucene keeps them (memory-mapped, segment by segment) into a bounded top-k heap, and only
   * the k winners' ids are read: no copy of the vectors, memory independent of the corpus size.
   * Ties go to the lower doc id, {@link TopK}'s rule, as exact search over a matrix keeps corpus order.
   */
  List<Hit> exact(float[] vector, int k) {
    PassageSchema.checkQueryVector(vector, metadata);
    return withSearcher(s -> {
      TopK top = new TopK(k);
      for (LeafReaderContext leaf : s.getIndexReader().leaves()) {
        FloatVectorValues values = leaf.reader().getFloatVectorValues(VECTOR);
        if (values == null) {
          continue;
        }
        Bits live = leaf.reader().getLiveDocs();
        for (int doc = values.nextDoc(); doc != FloatVectorValues.NO_MORE_DOCS; doc = values.nextDoc()) {
          if (live == null || live.get(doc)) {
            top.offer(leaf.docBase + doc, metadata.similarity().score(vector, values.vectorValue()));
          }
        }
      }
      float[] scores = new float[k];
      int[] docs = top.indices(scores);
      ScoreDoc[] ranked = new ScoreDoc[docs.length];
      for (int i = 0; i < docs.length; i++) {
        ranked[i] = new ScoreDoc(docs[i], scores[i]);
      }
      return hits(s, ranked);
    });
  }

  /** BM25 over title + text; query terms are analysed like the documents. */
  List<Hit> bm25(String query, int k) {
    Map<String, Integer> counts = PassageSchema.queryTerms(query);
    BooleanQuery.Builder b = new BooleanQuery.Builder();
    counts.forEach((term, n) -> {
      Query tq = new TermQuery(new Term(CONTENTS, term));
      b.add(n == 1 ? tq : new BoostQuery(tq, n), BooleanClause.Occur.SHOULD);
    });
    BooleanQuery q = b.build();
    if (q.clauses().isEmpty()) {
      return List.of();
    }
    return withSearcher(s -> hits(s, s.search(q, k).scoreDocs));
  }

  /**
   * The ranked docs as hits, named by their ids and nothing else (the searcher fetches title and
   * text for the hits it keeps). Ids come from the id column, read forward segment by segment in doc
   * order; a segment from before the column existed is read through its stored ids.
   */
  private static List<Hit> hits(IndexSearcher s, ScoreDoc[] ranked) throws IOException {
    Integer[] byDoc = new Integer[ranked.length];
    for (int i = 0; i < byDoc.length; i++) {
      byDoc[i] = i;
    }
    Arrays.sort(byDoc, Comparator.comparingInt(i -> ranked[i].doc));
    List<LeafReaderContext> leaves = s.getIndexReader().leaves();
    String[] ids = new String[ranked.length];
    int leafIndex = -1;
    BinaryDocValues column = null;
    StoredFields stored = null;
    for (int i : byDoc) {
      int li = ReaderUtil.subIndex(ranked[i].doc, leaves);
      LeafReaderContext leaf = leaves.get(li);
      if (li != leafIndex) {
        leafIndex = li;
        column = leaf.reader().getBinaryDocValues(ID_COLUMN);
        stored = null; // opened only for a segment without the column
      }
      int doc = ranked[i].doc - leaf.docBase;
      if (column != null && column.advanceExact(doc)) {
        ids[i] = column.binaryValue().utf8ToString();
      } else {
        if (stored == null) {
          stored = leaf.reader().storedFields();
        }
        ids[i] = stored.document(doc, Set.of(ID)).get(ID);
      }
    }
    List<Hit> hits = new ArrayList<>(ranked.length);
    for (int i = 0; i < ranked.length; i++) {
      hits.add(new Hit(ids[i], ranked[i].score));
    }
    return hits;
  }

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

  @Override
  public void close() throws IOException {
    searchers.close();
  }
}
