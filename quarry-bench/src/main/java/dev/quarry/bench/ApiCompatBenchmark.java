package dev.quarry.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.models.embeddings.CreateEmbeddingResponse;
import com.openai.models.embeddings.EmbeddingCreateParams;
import dev.quarry.data.Queries;
import dev.quarry.encode.RuntimeOptions;
import dev.quarry.encode.SentenceTransformer;
import dev.quarry.index.CorpusIndexer;
import dev.quarry.index.IndexSettings;
import dev.quarry.index.lucene.LuceneIndex;
import dev.quarry.io.Json;
import dev.quarry.model.BuiltinModels;
import dev.quarry.model.ModelResolver;
import dev.quarry.server.QuarryServer;
import dev.quarry.server.ServerConfig;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * What the OpenAI-compatible layer costs: one in-process server (the default model over the bundled
 * corpus), and for 1 and 8 concurrent clients, requests of {@code BATCH} texts sent for {@code
 * SECONDS} each through
 *
 * <ul>
 *   <li>OpenAI's Java SDK to {@code /v1/embeddings} (what users run),
 *   <li>the JDK HTTP client to {@code /v1/embeddings} (the same JSON without the SDK), and
 *   <li>the JDK HTTP client to Quarry's own {@code /encode} (the peer),
 * </ul>
 *
 * interleaved over {@code ROUNDS} rounds, each starting with the next variant, so that drift hits
 * every variant alike. Prints texts per
 * second, median and p99 latency, and each variant's throughput as a ratio of {@code /encode}'s.
 * Clients and server share the machine's cores.
 *
 * <pre>java -cp quarry-bench/target/quarry-bench.jar dev.quarry.bench.ApiCompatBenchmark [SECONDS=5] [ROUNDS=3] [BATCH=8]</pre>
 */
public final class ApiCompatBenchmark {
  private static final String MODEL = BuiltinModels.defaultId();

  private ApiCompatBenchmark() {}

  private interface Call {
    void run(List<String> texts) throws Exception;
  }

  public static void main(String[] args) throws Exception {
    int seconds = args.length > 0 ? Integer.parseInt(args[0]) : 5;
    int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 3;
    int batch = args.length > 2 ? Integer.parseInt(args[2]) : 8;
    Path data = Path.of("datasets", "ai-qa");
    List<String> texts = new ArrayList<>(Queries.read(data.resolve("queries.jsonl")).byId().values());
    Path indexDir = Files.createTempDirectory("quarry-api-bench");
    try (SentenceTransformer model = SentenceTransformer.load(ModelResolver.defaults().resolve(MODEL), RuntimeOptions.defaults())) {
      LuceneIndex index = CorpusIndexer.openSynced(LuceneIndex.at(indexDir), model, data.resolve("corpus.jsonl"), IndexSettings.defaults());
      QuarryServer server = QuarryServer.start(model, index, ServerConfig.defaults().withPort(0));
      try {
        run(server.url(), texts, seconds, rounds, batch);
      } finally {
        server.stop();
      }
    }
  }

  private static void run(String url, List<String> texts, int seconds, int rounds, int batch) throws Exception {
    HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    OpenAIClient sdk = OpenAIOkHttpClient.builder().baseUrl(url + "v1").apiKey("unused").maxRetries(0).build();
    Map<String, Call> variants = new LinkedHashMap<>();
    variants.put("OpenAI SDK -> /v1/embeddings", t -> {
      CreateEmbeddingResponse r = sdk.embeddings().create(EmbeddingCreateParams.builder().model(MODEL).inputOfArrayOfStrings(t)
          .encodingFormat(EmbeddingCreateParams.EncodingFormat.FLOAT).build());
      check(r.data().size() == t.size(), "SDK answer");
    });
    variants.put("JDK client -> /v1/embeddings", t -> post(http, url + "v1/embeddings",
        Json.writer().writeValueAsString(Map.of("model", MODEL, "input", t)), "data", t.size()));
    variants.put("JDK client -> /encode (peer)", t -> post(http, url + "encode", Json.writer().writeValueAsString(Map.of("texts", t)),
        "embeddings", t.size()));
    System.out.printf(Locale.ROOT, "%s, requests of %d texts (bundled queries), %d s per variant per round, %d rounds,"
        + " %d cores shared by server and clients%n", MODEL, batch, seconds, rounds, Runtime.getRuntime().availableProcessors());
    for (Call warm : variants.values()) { // JIT and the model's first batches, for every path
      for (int i = 0; i < 20; i++) {
        warm.run(texts.subList(0, batch));
      }
    }
    System.out.printf(Locale.ROOT, "%-8s %-30s %10s %9s %9s %9s%n", "clients", "variant", "texts/s", "p50 ms", "p99 ms", "vs peer");
    for (int clients : new int[] {1, 8}) {
      Map<String, List<Long>> latencies = new LinkedHashMap<>();
      Map<String, long[]> counts = new LinkedHashMap<>(); // requests, nanos
      List<String> names = new ArrayList<>(variants.keySet());
      for (int round = 0; round < rounds; round++) {
        for (int j = 0; j < names.size(); j++) { // each round starts with the next variant: no variant always runs first
          String name = names.get((round + j) % names.size());
          long[] c = counts.computeIfAbsent(name, k -> new long[2]);
          List<Long> lat = latencies.computeIfAbsent(name, k -> new ArrayList<>());
          long[] done = drive(variants.get(name), texts, batch, clients, seconds, lat);
          c[0] += done[0];
          c[1] += done[1];
        }
      }
      double peer = rate(counts.get("JDK client -> /encode (peer)"), batch);
      for (String name : variants.keySet()) {
        long[] sorted = latencies.get(name).stream().mapToLong(Long::longValue).sorted().toArray();
        double r = rate(counts.get(name), batch);
        System.out.printf(Locale.ROOT, "%-8d %-30s %10.1f %9.2f %9.2f %8.3fx%n", clients, name, r,
            sorted[sorted.length / 2] / 1e6, sorted[Math.min(sorted.length - 1, (int) (sorted.length * 0.99))] / 1e6, r / peer);
      }
    }
    sdk.close();
  }

  private static double rate(long[] c, int batch) {
    return c[0] * (double) batch / (c[1] / 1e9);
  }

  /** {@code clients} threads calling for {@code seconds}; returns {requests, elapsed nanos}. */
  private static long[] drive(Call call, List<String> texts, int batch, int clients, int seconds, List<Long> latencies) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(clients);
    AtomicBoolean stop = new AtomicBoolean();
    long start = System.nanoTime();
    List<Future<List<Long>>> futures = new ArrayList<>();
    for (int c = 0; c < clients; c++) {
      int offset = c * batch;
      futures.add(pool.submit(() -> {
        List<Long> mine = new ArrayList<>();
        for (int i = offset; !stop.get(); i += batch) {
          int from = i % (texts.size() - batch);
          long t0 = System.nanoTime();
          call.run(texts.subList(from, from + batch));
          mine.add(System.nanoTime() - t0);
        }
        return mine;
      }));
    }
    Thread.sleep(seconds * 1000L);
    stop.set(true);
    long requests = 0;
    for (Future<List<Long>> f : futures) {
      List<Long> mine = f.get();
      requests += mine.size();
      latencies.addAll(mine);
    }
    long elapsed = System.nanoTime() - start;
    pool.shutdown();
    return new long[] {requests, elapsed};
  }

  private static void post(HttpClient http, String url, String body, String field, int expected) throws Exception {
    HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(url)).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    check(r.statusCode() == 200, url + " answered " + r.statusCode() + ": " + r.body());
    JsonNode n = Json.reader().readTree(r.body());
    check(n.get(field).size() == expected, url + " answer");
  }

  private static void check(boolean ok, String what) {
    if (!ok) {
      throw new IllegalStateException("unexpected " + what);
    }
  }
}
