package dev.quarry.index.lucene;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.quarry.QuarryException;
import dev.quarry.data.Document;
import dev.quarry.index.IndexMetadata;
import dev.quarry.index.IndexSettings;
import dev.quarry.index.IndexSettings.Quantization;
import dev.quarry.search.Hit;
import dev.quarry.similarity.SimilarityFunction;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.lucene.store.Directory;
import org.apache.lucene.store.FilterDirectory;
import org.apache.lucene.store.IOContext;
import org.apache.lucene.store.IndexInput;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The final merge of a bulk load, and quantised graphs searched with float rescoring, on small
 * indexes of seeded random unit vectors (one index thread and one merge worker unless a test says
 * otherwise, so the graphs are reproducible).
 */
class QueryReadyIndexTest {
  static final int DIM = 16;
  static final IndexMetadata META = new IndexMetadata("test-model", "fp", DIM, SimilarityFunction.DOT, true);

  @TempDir Path tmp;

  static float[][] unitVectors(int n, long seed) {
    Random r = new Random(seed);
    float[][] out = new float[n][DIM];
    for (float[] v : out) {
      for (int d = 0; d < DIM; d++) {
        v[d] = (float) r.nextGaussian();
      }
      dev.quarry.modules.Normalize.l2NormalizeInPlace(v);
    }
    return out;
  }

  /** Adds {@code vectors} in {@code segments} commits: each commit flushes one segment (merges paused, as in a sync). */
  static void addInSegments(LuceneIndex index, float[][] vectors, int segments) {
    index.pauseMerges(true);
    int per = vectors.length / segments;
    for (int s = 0; s < segments; s++) {
      int from = s * per;
      int to = s == segments - 1 ? vectors.length : from + per;
      List<Document> docs = new ArrayList<>();
      for (int i = from; i < to; i++) {
        docs.add(new Document("d" + i, "", "passage " + i));
      }
      index.upsert(docs, java.util.Arrays.copyOfRange(vectors, from, to));
      index.commit();
    }
    index.pauseMerges(false);
  }

  @Test
  void theFinalMergeLeavesOneSegmentWithEveryDocumentAndReportsItsGraphBuild() {
    float[][] vectors = unitVectors(3000, 1);
    for (int workers : new int[] {1, 2}) {
      IndexSettings settings = IndexSettings.defaults().withThreads(1, workers).withSmallSegmentDocs(500);
      try (LuceneIndex index = LuceneIndex.open(tmp.resolve("w" + workers), META, settings)) {
        addInSegments(index, vectors, 6);
        assertEquals(6, index.segments().size(), "one segment per commit while merges are paused");
        assertTrue(index.needsMerge());
        List<String> phases = new ArrayList<>();
        AtomicLong lastDone = new AtomicLong(-1);
        AtomicLong total = new AtomicLong();
        assertTrue(index.makeQueryReady((phase, done, of) -> {
          phases.add(phase);
          if (of > 0) {
            lastDone.set(done);
            total.set(of);
          }
        }));
        assertEquals(1, index.segments().size(), "the merge promises one segment");
        assertEquals(3000, index.size());
        assertFalse(index.needsMerge());
        assertTrue(phases.get(0).startsWith("merging 6 segments (3000 documents) into one"), phases.get(0));
        assertTrue(phases.contains("building the HNSW graph"), "the graph build reported progress: " + phases);
        assertEquals(3000, total.get(), "the merged graph's size");
        assertTrue(lastDone.get() > 0, "progress moved");
        for (int i = 0; i < 3000; i += 97) {
          assertEquals("d" + i, index.dense(vectors[i], 1).get(0).id(), "each document is its own nearest neighbour");
        }
        assertFalse(index.makeQueryReady(null), "nothing left to merge");
      }
    }
  }

  @Test
  void aBulkLoadDraftsItsLaterGraphsAndOwesTheFinalMergeUntilItIsDone() {
    float[][] vectors = unitVectors(3000, 9);
    try (LuceneIndex index = LuceneIndex.open(tmp.resolve("draft"), META, IndexSettings.defaults())) {
      index.draftAfter(1000); // the production threshold is 50,000 documents
      addInSegments(index, vectors, 6); // 6 small segments: below both merge thresholds
      assertEquals("true", index.commitData().get(LuceneIndex.DRAFT_GRAPHS), "segments past 1,000 documents got draft graphs");
      assertTrue(index.needsMerge(), "draft graphs are merged whatever the segment sizes");
    }
    // Reopened (as after a kill before the merge): the debt is in the commit, and is paid.
    try (LuceneIndex index = LuceneIndex.open(tmp.resolve("draft"), META, IndexSettings.defaults())) {
      assertTrue(index.makeQueryReady(null));
      assertEquals(1, index.segments().size());
      assertTrue(!index.commitData().containsKey(LuceneIndex.DRAFT_GRAPHS), "the merge built full graphs");
      for (int i = 0; i < 3000; i += 31) {
        assertEquals("d" + i, index.dense(vectors[i], 1).get(0).id());
      }
      // Live writes (merges not paused) never draft.
      index.upsert(List.of(new Document("live", "", "x")), new float[][] {vectors[0]});
      index.commit();
      assertTrue(!index.commitData().containsKey(LuceneIndex.DRAFT_GRAPHS));
    }
  }

  @Test
  void withTheProductionThresholdAFewSmallSegmentsAreLeftToTheBackgroundMerges() {
    try (LuceneIndex index = LuceneIndex.open(tmp.resolve("small"), META, IndexSettings.defaults())) {
      addInSegments(index, unitVectors(600, 2), 3); // three segments, all far below 20,000 documents
      assertFalse(index.needsMerge());
      assertFalse(index.makeQueryReady(null));
    }
    // Over a merge tier (10) of small segments, the production threshold merges them too.
    try (LuceneIndex index = LuceneIndex.open(tmp.resolve("many"), META, IndexSettings.defaults())) {
      addInSegments(index, unitVectors(1200, 3), 12);
      assertEquals(12, index.segments().size());
      assertTrue(index.makeQueryReady(null));
      assertEquals(1, index.segments().size());
    }
  }

  @Test
  void quantisedSearchRescoredOverEveryCandidateIsExactlyTheExactTopK() {
    float[][] vectors = unitVectors(400, 4);
    float[][] queries = unitVectors(20, 5);
    for (Quantization q : new Quantization[] {Quantization.INT8, Quantization.INT4}) {
      // k 10 x oversample 40 = 400 candidates: the graph's whole segment, so rescoring alone decides.
      IndexSettings settings = IndexSettings.defaults().withQuantization(q, 40f);
      try (LuceneIndex index = LuceneIndex.open(tmp.resolve(q.name()), META, settings)) {
        addInSegments(index, vectors, 1);
        for (float[] query : queries) {
          List<Hit> exact = index.exact(query, 10);
          DenseSearch dense = index.denseSearch(query, 10, 10, 40f);
          assertEquals(400, dense.rescored());
          assertEquals(exact.stream().map(Hit::id).toList(), dense.hits().stream().map(Hit::id).toList(), q + " ids");
          for (int i = 0; i < exact.size(); i++) {
            assertEquals(exact.get(i).score(), dense.hits().get(i).score(), 0f, q + ": float scores, not quantised ones");
          }
        }
        // Without rescoring room (oversample 1) the quantised order differs from the exact one somewhere.
        boolean differs = false;
        for (float[] query : queries) {
          differs |= !index.exact(query, 10).equals(index.denseSearch(query, 10, 400, 1f).hits());
        }
        assertTrue(differs, q + ": quantised scores alone are not the exact ones (else this test shows nothing)");
      }
    }
  }

  /** Counts the bytes read from the float vectors file (.vec) of every segment, inside a compound file or not. */
  static final class CountingVectorReads extends FilterDirectory {
    final AtomicLong vecBytes = new AtomicLong();

    CountingVectorReads(Directory in) {
      super(in);
    }

    @Override
    public IndexInput openInput(String name, IOContext context) throws IOException {
      return new Counting(super.openInput(name, context), vecBytes, name.endsWith(".vec"));
    }
  }

  static final class Counting extends IndexInput {
    final IndexInput in;
    final AtomicLong bytes;
    final boolean counted;

    Counting(IndexInput in, AtomicLong bytes, boolean counted) {
      super("counting(" + in + ")");
      this.in = in;
      this.bytes = bytes;
      this.counted = counted;
    }

    private void count(long n) {
      if (counted) {
        bytes.addAndGet(n);
      }
    }

    @Override
    public void close() throws IOException {
      in.close();
    }

    @Override
    public long getFilePointer() {
      return in.getFilePointer();
    }

    @Override
    public void seek(long pos) throws IOException {
      in.seek(pos);
    }

    @Override
    public long length() {
      return in.length();
    }

    @Override
    public IndexInput slice(String desc, long offset, long length) throws IOException {
      return new Counting(in.slice(desc, offset, length), bytes, counted || desc.endsWith(".vec")); // a compound file's entry
    }

    @Override
    public IndexInput clone() {
      return new Counting(in.clone(), bytes, counted);
    }

    @Override
    public byte readByte() throws IOException {
      count(1);
      return in.readByte();
    }

    @Override
    public void readBytes(byte[] b, int offset, int len) throws IOException {
      count(len);
      in.readBytes(b, offset, len);
    }

    @Override
    public void readFloats(float[] dst, int offset, int len) throws IOException {
      count(4L * len);
      in.readFloats(dst, offset, len);
    }

    @Override
    public int readInt() throws IOException {
      count(4);
      return in.readInt();
    }

    @Override
    public long readLong() throws IOException {
      count(8);
      return in.readLong();
    }
  }

  @Test
  void rescoringReadsFloatVectorsOnlyForTheOversampledCandidates() {
    float[][] vectors = unitVectors(3000, 6);
    CountingVectorReads[] dir = new CountingVectorReads[1];
    IndexSettings settings = IndexSettings.defaults().withQuantization(Quantization.INT8, 4f);
    try (LuceneIndex index = LuceneIndex.open(tmp.resolve("counted"), META, settings, d -> dir[0] = new CountingVectorReads(d))) {
      addInSegments(index, vectors, 1);
      float[] query = unitVectors(1, 7)[0];
      index.denseSearch(query, 5, 100, 4f); // opens the segment's readers
      dir[0].vecBytes.set(0);
      DenseSearch d = index.denseSearch(query, 5, 100, 4f);
      assertEquals(20, d.rescored(), "k 5 x oversample 4");
      assertTrue(d.visited() >= 100, "the graph explored at least efSearch nodes: " + d.visited());
      assertEquals(20L * DIM * Float.BYTES, dir[0].vecBytes.get(), "float vectors read: the 20 candidates', not the " + d.visited()
          + " nodes the graph visited");
    }
    // The same search on a float graph reads float vectors for every node it visits: what rescoring saves.
    CountingVectorReads[] fdir = new CountingVectorReads[1];
    try (LuceneIndex index = LuceneIndex.open(tmp.resolve("float"), META, IndexSettings.defaults(), d -> fdir[0] = new CountingVectorReads(d))) {
      addInSegments(index, vectors, 1);
      float[] query = unitVectors(1, 7)[0];
      index.denseSearch(query, 5, 100, 4f);
      fdir[0].vecBytes.set(0);
      DenseSearch d = index.denseSearch(query, 5, 100, 4f);
      assertEquals(0, d.rescored());
      assertTrue(fdir[0].vecBytes.get() >= 100L * DIM * Float.BYTES, "a float graph reads a float vector per visited node");
    }
  }

  @Test
  void anIndexIsOpenedWithTheQuantisationItWasBuiltWith() {
    try (LuceneIndex index = LuceneIndex.open(tmp.resolve("q"), META, IndexSettings.defaults().withQuantization(Quantization.INT8, 3f))) {
      addInSegments(index, unitVectors(50, 8), 1);
    }
    QuarryException e = assertThrows(QuarryException.class, () -> LuceneIndex.open(tmp.resolve("q"), META, IndexSettings.defaults()));
    assertTrue(e.getMessage().contains("holds int8 vectors, not float32 ones: open it with --int8"), e.getMessage());
    e = assertThrows(QuarryException.class,
        () -> LuceneIndex.open(tmp.resolve("q"), META, IndexSettings.defaults().withQuantization(Quantization.INT4, 3f)));
    assertTrue(e.getMessage().contains("holds int8 vectors, not int4 ones"), e.getMessage());
    try (LuceneIndex index = LuceneIndex.open(tmp.resolve("q"), META, IndexSettings.defaults().withQuantization(Quantization.INT8, 3f))) {
      assertEquals(50, index.size());
    }
  }
}
