package dev.quarry.bench;

import dev.quarry.data.Document;
import dev.quarry.index.IndexMetadata;
import dev.quarry.index.IndexSettings;
import dev.quarry.index.lucene.LuceneIndex;
import dev.quarry.modules.Normalize;
import dev.quarry.search.ExactSearch;
import dev.quarry.search.Hit;
import dev.quarry.similarity.SimilarityFunction;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.Set;


/**
 * HNSW recall and latency in Quarry's Lucene index against exact search, on 384-d unit vectors
 * drawn from a clustered distribution (Gaussian clusters around random centres, the shape real
 * sentence embeddings have), at the sizes given on the command line.
 *
 * <p>Usage: {@code HnswBenchmark [N ...]} (default 100000 1000000). Needs about 10 GB of heap at 1M.
 */
public final class HnswBenchmark {
  static final int DIM = 384;
  static final int QUERIES = 500;
  /** Exact search is timed on this many queries (it costs n·d multiply-adds each). */
  static final int EXACT_TIMED = 20;
  /** Candidate counts searched on the same graph: the recall / latency trade-off. */
  static final int[] EF_SEARCH = {100, 200, 400};
  /** Largest size at which the int8 index is built too (override with -Dquarry.bench.int8Max). */
  static final int INT8_MAX = Integer.getInteger("quarry.bench.int8Max", 200_000);
  static final int K = 10;

  public static void main(String[] args) throws Exception {
    int[] sizes = args.length == 0 ? new int[] {100_000, 1_000_000} : Arrays.stream(args).mapToInt(Integer::parseInt).toArray();
    System.out.printf(Locale.ROOT, "HNSW (Lucene 9.12, M %d, beam width %d) vs exact search; %d-d clustered unit vectors;"
        + " %d queries, k = %d; %d cores, Java %s%n%n", IndexSettings.DEFAULT_MAX_CONN, IndexSettings.DEFAULT_BEAM_WIDTH,
        DIM, QUERIES, K, Runtime.getRuntime().availableProcessors(), System.getProperty("java.version"));
    String fmt = "%10s %9s %9s %10s %9s %9s %12s %12s%n";
    System.out.printf(Locale.ROOT, fmt, "vectors", "build s", "efSearch", "recall@10", "p50 ms", "p99 ms", "exact p50 ms", "int8 recall");
    for (int n : sizes) {
      row(fmt, n);
    }
  }

  private static void row(String fmt, int n) throws Exception {
    Random r = new Random(n);
    int clusters = Math.max(100, n / 1000);
    float[][] centres = new float[clusters][];
    for (int c = 0; c < clusters; c++) {
      centres[c] = gaussian(r, 1f);
    }
    float[][] vectors = new float[n][];
    for (int i = 0; i < n; i++) {
      vectors[i] = around(centres[r.nextInt(clusters)], r);
    }
    float[][] queries = new float[QUERIES][];
    for (int i = 0; i < QUERIES; i++) {
      queries[i] = around(centres[r.nextInt(clusters)], r);
    }
    ExactSearch exact = new ExactSearch(ExactSearch.flatten(vectors), DIM, SimilarityFunction.DOT, i -> Integer.toString(i));
    long[] exactNanos = new long[EXACT_TIMED];
    for (int i = 0; i < EXACT_TIMED; i++) {
      long t0 = System.nanoTime();
      exact.searchOne(queries[i], K);
      exactNanos[i] = System.nanoTime() - t0;
    }
    List<Set<String>> truth = new ArrayList<>();
    for (List<Hit> hits : exact.search(queries, K)) {
      Set<String> ids = new HashSet<>();
      hits.forEach(h -> ids.add(h.id()));
      truth.add(ids);
    }
    // int8 costs a second full build; measured where that fits the run time (see INT8_MAX).
    double[][] int8 = n <= INT8_MAX ? measure(n, vectors, queries, truth, true) : null;
    double[][] fp32 = measure(n, vectors, queries, truth, false);
    Arrays.sort(exactNanos);
    for (int e = 0; e < EF_SEARCH.length; e++) {
      System.out.printf(Locale.ROOT, fmt, n, String.format(Locale.ROOT, "%.0f", fp32[e][0]), EF_SEARCH[e], String.format(Locale.ROOT, "%.4f", fp32[e][1]),
          String.format(Locale.ROOT, "%.2f", fp32[e][2]), String.format(Locale.ROOT, "%.2f", fp32[e][3]), String.format(Locale.ROOT, "%.2f", exactNanos[EXACT_TIMED / 2] / 1e6),
          int8 == null ? "-" : String.format(Locale.ROOT, "%.4f", int8[e][1]));
    }
  }

  /** Per efSearch value: {build seconds, recall@10, p50 ms, p99 ms}, all from one index build. */
  private static double[][] measure(int n, float[][] vectors, float[][] queries, List<Set<String>> truth, boolean int8) throws Exception {
    Path dir = Files.createTempDirectory("quarry-hnsw");
    long t0 = System.nanoTime();
    try (LuceneIndex index = buildSingleGraph(dir, vectors, int8 ? IndexSettings.Quantization.INT8 : IndexSettings.Quantization.NONE)) {
      double build = (System.nanoTime() - t0) / 1e9;
      double[][] out = new double[EF_SEARCH.length][];
      for (int e = 0; e < EF_SEARCH.length; e++) {
        int ef = EF_SEARCH[e];
        for (int i = 0; i < 50; i++) {
          index.dense(queries[i], K, ef);
        }
        long[] nanos = new long[queries.length];
        double recall = 0;
        for (int i = 0; i < queries.length; i++) {
          long s = System.nanoTime();
          List<Hit> hits = index.dense(queries[i], K, ef);
          nanos[i] = System.nanoTime() - s;
          Set<String> want = truth.get(i);
          recall += hits.stream().filter(h -> want.contains(h.id())).count() / (double) K;
        }
        Arrays.sort(nanos);
        out[e] = new double[] {build, recall / queries.length, nanos[nanos.length / 2] / 1e6, nanos[(int) (nanos.length * 0.99)] / 1e6};
      }
      return out;
    } finally {
      try (var walk = Files.walk(dir)) {
        walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }

  /**
   * One segment, one graph: every vector added to a single in-memory HNSW graph by one thread (a
   * 1.9 GB indexing buffer, ids only, no text), then committed. The reference build that bulk
   * loads are measured against.
   */
  static LuceneIndex buildSingleGraph(Path dir, float[][] vectors, IndexSettings.Quantization q) {
    IndexSettings settings = new IndexSettings(IndexSettings.DEFAULT_MAX_CONN, IndexSettings.DEFAULT_BEAM_WIDTH, false,
        IndexSettings.DEFAULT_EF_SEARCH).withQuantization(q, IndexSettings.DEFAULT_OVERSAMPLE).withBuffers(1900, 1 << 20);
    IndexMetadata meta = new IndexMetadata("synthetic-clustered-" + DIM, "synthetic", DIM, SimilarityFunction.DOT, true);
    LuceneIndex index = LuceneIndex.open(dir, meta, settings);
    int n = vectors.length;
    int chunk = 10_000;
    for (int start = 0; start < n; start += chunk) {
      int end = Math.min(n, start + chunk);
      List<Document> docs = new ArrayList<>();
      for (int i = start; i < end; i++) {
        docs.add(new Document(Integer.toString(i), "", ""));
      }
      index.upsert(docs, Arrays.copyOfRange(vectors, start, end));
    }
    index.commit();
    return index;
  }

  static float[] gaussian(Random r, float scale) {
    float[] v = new float[DIM];
    for (int d = 0; d < DIM; d++) {
      v[d] = (float) r.nextGaussian() * scale;
    }
    return v;
  }

  /** A point near a cluster centre, normalised: spread chosen so neighbours are close but not trivial. */
  static float[] around(float[] centre, Random r) {
    float[] v = gaussian(r, 0.6f);
    for (int d = 0; d < DIM; d++) {
      v[d] += centre[d];
    }
    Normalize.l2NormalizeInPlace(v);
    return v;
  }

}
