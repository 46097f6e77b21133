package dev.quarry.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.quarry.index.IndexMetadata;
import dev.quarry.index.IndexRetriever;
import dev.quarry.index.IndexSettings;
import dev.quarry.index.SearchMode;
import dev.quarry.index.lucene.DenseSearch;
import dev.quarry.index.lucene.LuceneIndex;
import dev.quarry.io.Npy;
import dev.quarry.search.ExactSearch;
import dev.quarry.search.Hit;
import dev.quarry.search.Retriever;
import dev.quarry.search.RowMatrix;
import dev.quarry.search.Searcher;
import dev.quarry.similarity.SimilarityFunction;
import java.io.BufferedOutputStream;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;

/**
 * One machine at a million passages (bench/index-1m.sh runs the steps in order, each in its own JVM
 * with the heap it needs):
 *
 * <ul>
 *   <li>{@code data N DIR}: clustered 384-d unit vectors (HnswBenchmark's distribution) for the
 *       passages of {@code DIR/data/corpus.jsonl} as {@code DIR/vectors.npy}, 1,000 queries
 *       from the same clusters ({@code DIR/queries.npy}) and their exact top 10 ({@code DIR/truth.npy});
 *   <li>{@code single DIR}: HnswBenchmark's single-graph build of the same vectors (the reference
 *       time), with its recall and latency;
 *   <li>{@code search DIR INDEX float|int8|int4}: recall@10 against exact, p50/p99, vector bytes
 *       read per query, at efSearch 100/200/400 (and the oversampling factors for quantised
 *       indexes), through {@link LuceneIndex} and, at the defaults, through the {@link Retriever};
 *   <li>{@code load URL DIR CLIENTS SECONDS}: {@code /search} of a running {@code quarry serve}
 *       with the query vectors, QPS and p50/p99 at that many clients;
 *   <li>{@code query-json DIR FILE}: the first query as a {@code /search} body, for curl.
 * </ul>
 */
public final class ScaleBenchmark {
  static final int QUERIES = 1000;
  static final int K = 10;
  static final int[] EF_SEARCH = {100, 200, 400};
  static final float[] OVERSAMPLE = {1f, 2f, 3f, 5f, 10f};

  private ScaleBenchmark() {}

  public static void main(String[] args) throws Exception {
    switch (args.length == 0 ? "" : args[0]) {
      case "data" -> data(Integer.parseInt(args[1]), Path.of(args[2]));
      case "single" -> single(Path.of(args[1]));
      case "search" -> search(Path.of(args[1]), Path.of(args[2]), args[3]);
      case "load" -> load(args[1], Path.of(args[2]), Integer.parseInt(args[3]), Integer.parseInt(args[4]));
      case "query-json" -> Files.writeString(Path.of(args[2]), body(RowMatrix.mapNpy(Path.of(args[1]).resolve("queries.npy")), 0));
      default -> System.err.println("usage: ScaleBenchmark data N DIR | single DIR | search DIR INDEX float|int8|int4"
          + " | load URL DIR CLIENTS SECONDS | query-json DIR FILE");
    }
  }

  private static void data(int n, Path dir) throws Exception {
    long t0 = System.nanoTime();
    Random r = new Random(n);
    int clusters = Math.max(100, n / 1000);
    float[][] centres = new float[clusters][];
    for (int c = 0; c < clusters; c++) {
      centres[c] = HnswBenchmark.gaussian(r, 1f);
    }
    float[] flat = new float[n * HnswBenchmark.DIM];
    try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(dir.resolve("vectors.npy")), 1 << 20)) {
      Npy.writeHeader(out, "<f4", n, HnswBenchmark.DIM);
      for (int i = 0; i < n; i++) {
        float[] v = HnswBenchmark.around(centres[r.nextInt(clusters)], r);
        Npy.writeRow(out, v);
        System.arraycopy(v, 0, flat, i * HnswBenchmark.DIM, HnswBenchmark.DIM);
      }
    }
    float[][] queries = new float[QUERIES][];
    try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(dir.resolve("queries.npy")))) {
      Npy.writeHeader(out, "<f4", QUERIES, HnswBenchmark.DIM);
      for (int i = 0; i < QUERIES; i++) {
        queries[i] = HnswBenchmark.around(centres[r.nextInt(clusters)], r);
        Npy.writeRow(out, queries[i]);
      }
    }
    ExactSearch exact = new ExactSearch(flat, HnswBenchmark.DIM, SimilarityFunction.DOT, Integer::toString);
    List<List<Hit>> truth = exact.search(queries, K);
    try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(dir.resolve("truth.npy")))) {
      Npy.writeHeader(out, "<f4", QUERIES, K); // row ids as floats: exact below 2^24
      for (List<Hit> hits : truth) {
        float[] row = new float[K];
        for (int j = 0; j < K; j++) {
          row[j] = Integer.parseInt(hits.get(j).id());
        }
        Npy.writeRow(out, row);
      }
    }
    System.out.printf(Locale.ROOT, "wrote %d clustered vectors, %d queries and their exact top %d in %s (%.1f s)%n", n, QUERIES, K, dir,
        (System.nanoTime() - t0) / 1e9);
  }

  /** The corpus's passage ids are {@code p<row>} (CorpusGenerator); the single-graph build uses the row. */
  private static List<Set<String>> truth(Path dir, String prefix) {
    RowMatrix t = RowMatrix.mapNpy(dir.resolve("truth.npy"));
    List<Set<String>> out = new ArrayList<>();
    for (int i = 0; i < t.rows(); i++) {
      Set<String> ids = new HashSet<>();
      for (float f : t.row(i, new float[K])) {
        ids.add(prefix + (int) f);
      }
      out.add(ids);
    }
    return out;
  }

  private static float[][] queries(Path dir) {
    RowMatrix q = RowMatrix.mapNpy(dir.resolve("queries.npy"));
    float[][] out = new float[q.rows()][];
    for (int i = 0; i < out.length; i++) {
      out[i] = q.row(i, new float[q.dim()]);
    }
    return out;
  }

  private static void single(Path dir) throws Exception {
    RowMatrix m = RowMatrix.mapNpy(dir.resolve("vectors.npy"));
    float[][] vectors = new float[m.rows()][];
    for (int i = 0; i < vectors.length; i++) {
      vectors[i] = m.row(i, new float[m.dim()]);
    }
    Path idx = Files.createTempDirectory(dir, "single-graph");
    long t0 = System.nanoTime();
    try (LuceneIndex index = HnswBenchmark.buildSingleGraph(idx, vectors, IndexSettings.Quantization.NONE)) {
      double build = (System.nanoTime() - t0) / 1e9;
      System.out.printf(Locale.ROOT, "single-graph build (HnswBenchmark: one thread, one segment, 1.9 GB buffer, ids only): %d vectors"
          + " in %.1f s%n", vectors.length, build);
      Files.writeString(dir.resolve("single-graph-seconds.txt"), String.format(Locale.ROOT, "%.1f%n", build));
      table(index, queries(dir), truth(dir, ""), new float[] {1f});
    } finally {
      dev.quarry.FileTrees.delete(idx);
    }
  }

  private static void search(Path dir, Path indexDir, String kind) throws Exception {
    IndexSettings.Quantization q = switch (kind) {
      case "float" -> IndexSettings.Quantization.NONE;
      case "int8" -> IndexSettings.Quantization.INT8;
      case "int4" -> IndexSettings.Quantization.INT4;
      default -> throw new IllegalArgumentException("float, int8 or int4: " + kind);
    };
    IndexMetadata meta = LuceneIndex.readMetadata(indexDir);
    IndexSettings settings = IndexSettings.defaults().withQuantization(q, IndexSettings.DEFAULT_OVERSAMPLE);
    float[][] queries = queries(dir);
    List<Set<String>> truth = truth(dir, "p");
    long t0 = System.nanoTime();
    try (LuceneIndex index = LuceneIndex.open(indexDir, meta, settings)) {
      System.out.printf(Locale.ROOT, "%s index %s: %d documents in %d segment(s), opened in %.2f s%n", kind, indexDir, index.size(),
          index.segments().size(), (System.nanoTime() - t0) / 1e9);
      diskAndCache(indexDir);
      table(index, queries, truth, q == IndexSettings.Quantization.NONE ? new float[] {1f} : OVERSAMPLE);
      // The defaults through the seam the server, eval and the CLI share.
      Retriever retriever = new IndexRetriever(index, SearchMode.DENSE);
      long[] nanos = new long[queries.length];
      double recall = 0;
      for (int i = 0; i < queries.length; i++) {
        long s = System.nanoTime();
        List<Hit> hits = retriever.search("", queries[i], K);
        nanos[i] = System.nanoTime() - s;
        recall += recallOf(hits, truth.get(i));
      }
      Arrays.sort(nanos);
      System.out.printf(Locale.ROOT, "through the Retriever (efSearch %d, oversample %.0f): recall@10 %.4f, p50 %.2f ms, p99 %.2f ms%n",
          settings.efSearch(), settings.oversample(), recall / queries.length, nanos[nanos.length / 2] / 1e6,
          nanos[(int) (nanos.length * 0.99)] / 1e6);
      // What /search does before writing JSON: the same search, then the hits' stored passages.
      Searcher searcher = new Searcher(texts -> {
        throw new IllegalStateException("queries come as vectors");
      }, retriever, null);
      for (int i = 0; i < queries.length; i++) {
        long s = System.nanoTime();
        searcher.search("", queries[i], K, 0);
        nanos[i] = System.nanoTime() - s;
      }
      Arrays.sort(nanos);
      System.out.printf(Locale.ROOT, "through the Searcher (the same, with the hits' stored passages): p50 %.2f ms, p99 %.2f ms%n",
          nanos[nanos.length / 2] / 1e6, nanos[(int) (nanos.length * 0.99)] / 1e6);
      diskAndCache(indexDir);
    }
  }

  /** Recall and latency per efSearch (and oversampling), with the vector bytes each query read. */
  private static void table(LuceneIndex index, float[][] queries, List<Set<String>> truth, float[] oversamples) {
    int dim = queries[0].length;
    String fmt = "%9s %10s %10s %9s %9s %14s %14s%n";
    System.out.printf(Locale.ROOT, fmt, "efSearch", "oversample", "recall@10", "p50 ms", "p99 ms", "graph vecs/q", "float vecs/q");
    for (int ef : EF_SEARCH) {
      for (float over : oversamples) {
        for (int i = 0; i < 100; i++) { // warm-up
          index.denseSearch(queries[i], K, ef, over);
        }
        long[] nanos = new long[queries.length];
        double recall = 0;
        long visited = 0;
        long rescored = 0;
        for (int i = 0; i < queries.length; i++) {
          long s = System.nanoTime();
          DenseSearch d = index.denseSearch(queries[i], K, ef, over);
          nanos[i] = System.nanoTime() - s;
          recall += recallOf(d.hits(), truth.get(i));
          visited += d.visited();
          rescored += d.rescored();
        }
        Arrays.sort(nanos);
        System.out.printf(Locale.ROOT, fmt, ef, String.format(Locale.ROOT, "%.0f", over), String.format(Locale.ROOT, "%.4f", recall / queries.length),
            String.format(Locale.ROOT, "%.2f", nanos[nanos.length / 2] / 1e6), String.format(Locale.ROOT, "%.2f", nanos[(int) (nanos.length * 0.99)] / 1e6),
            String.format(Locale.ROOT, "%.0f", visited / (double) queries.length), String.format(Locale.ROOT, "%.0f", rescored / (double) queries.length));
      }
    }
    System.out.printf(Locale.ROOT, "(bytes per vector: float %d, int8 %d, int4 %d, each + 4 for the quantised correction; a float rescoring"
        + " reads %d)%n", dim * 4, dim, dim / 2, dim * 4);
  }

  private static double recallOf(List<Hit> hits, Set<String> want) {
    return hits.stream().filter(h -> want.contains(h.id())).count() / (double) K;
  }

  /** The index's files by kind (vectors, quantised vectors, graph, the rest) and how much of each is in the page cache. */
  private static void diskAndCache(Path indexDir) throws Exception {
    long[] bytes = new long[4];
    List<String> files = new ArrayList<>();
    try (Stream<Path> s = Files.list(indexDir)) {
      for (Path p : s.toList()) {
        String name = p.getFileName().toString();
        int kind = name.endsWith(".vec") ? 0 : name.endsWith(".veq") ? 1 : name.endsWith(".vex") ? 2 : 3;
        bytes[kind] += Files.size(p);
        files.add(p.toString());
      }
    }
    System.out.printf(Locale.ROOT, "on disk: float vectors %.0f MB, quantised vectors %.0f MB, graph %.0f MB, text/BM25/ids %.0f MB%n",
        bytes[0] / 1e6, bytes[1] / 1e6, bytes[2] / 1e6, bytes[3] / 1e6);
    List<String> cmd = new ArrayList<>(List.of("fincore", "-b", "-n", "-o", "RES,FILE"));
    cmd.addAll(files);
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    long[] cached = new long[4];
    for (String line : new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8).split("\n")) {
      String[] f = line.trim().split("\\s+", 2);
      if (f.length == 2 && f[0].matches("\\d+")) {
        String name = f[1];
        int kind = name.endsWith(".vec") ? 0 : name.endsWith(".veq") ? 1 : name.endsWith(".vex") ? 2 : 3;
        cached[kind] += Long.parseLong(f[0]);
      }
    }
    p.waitFor();
    System.out.printf(Locale.ROOT, "in page cache: float vectors %.0f MB, quantised vectors %.0f MB, graph %.0f MB, text/BM25/ids %.0f MB%n",
        cached[0] / 1e6, cached[1] / 1e6, cached[2] / 1e6, cached[3] / 1e6);
  }

  private static String body(RowMatrix q, int i) {
    ObjectNode o = new ObjectMapper().createObjectNode();
    ArrayNode v = o.putArray("vector");
    for (float f : q.row(i, new float[q.dim()])) {
      v.add(f);
    }
    o.put("k", K);
    o.put("mode", "dense");
    return o.toString();
  }

  private static void load(String url, Path dir, int clients, int seconds) throws Exception {
    RowMatrix q = RowMatrix.mapNpy(dir.resolve("queries.npy"));
    List<String> bodies = new ArrayList<>();
    for (int i = 0; i < q.rows(); i++) {
      bodies.add(body(q, i));
    }
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    long end = System.nanoTime() + seconds * 1_000_000_000L;
    ExecutorService pool = Executors.newFixedThreadPool(clients);
    List<Future<long[]>> results = new ArrayList<>();
    for (int c = 0; c < clients; c++) {
      int client = c;
      results.add(pool.submit(() -> {
        long[] lat = new long[1 << 20];
        long[] took = new long[1 << 20];
        int n = 0;
        long errors = 0;
        for (int i = client; System.nanoTime() < end; i += clients) {
          HttpRequest req = HttpRequest.newBuilder(URI.create(url)).header("Content-Type", "application/json")
              .POST(HttpRequest.BodyPublishers.ofString(bodies.get(i % bodies.size()))).build();
          long s = System.nanoTime();
          HttpResponse<String> r = http.send(req, HttpResponse.BodyHandlers.ofString());
          if (r.statusCode() != 200) {
            errors++;
          } else if (n < lat.length) {
            lat[n] = System.nanoTime() - s;
            took[n++] = tookNanos(r.body());
          }
        }
        long[] out = Arrays.copyOf(lat, 2 * n + 1);
        System.arraycopy(took, 0, out, n, n);
        out[2 * n] = errors;
        return out;
      }));
    }
    List<Long> all = new ArrayList<>();
    List<Long> server = new ArrayList<>();
    long errors = 0;
    for (Future<long[]> f : results) {
      long[] r = f.get();
      int n = (r.length - 1) / 2;
      for (int i = 0; i < n; i++) {
        all.add(r[i]);
        server.add(r[n + i]);
      }
      errors += r[r.length - 1];
    }
    pool.shutdown();
    all.sort(null);
    server.sort(null);
    System.out.printf(Locale.ROOT, "quarry serve /search (vector, k 10, dense), %d client(s), %d s: %.1f QPS, p50 %.2f ms, p99 %.2f ms,"
        + " %d errors; the server's took_ms p50 %.2f ms%n", clients, seconds, all.size() / (double) seconds, all.get(all.size() / 2) / 1e6,
        all.get((int) (all.size() * 0.99)) / 1e6, errors, server.get(server.size() / 2) / 1e6);
  }

  /** The server's own time for a search (its {@code took_ms}), read without parsing the whole answer. */
  private static long tookNanos(String json) {
    int at = json.lastIndexOf("\"took_ms\":");
    if (at < 0) {
      return 0;
    }
    int from = at + "\"took_ms\":".length();
    int to = from;
    while (to < json.length() && "0123456789.Ee-".indexOf(json.charAt(to)) >= 0) {
      to++;
    }
    return (long) (Double.parseDouble(json.substring(from, to)) * 1e6);
  }
}
