package dev.quarry.bench;

import com.fasterxml.jackson.databind.JsonNode;
import dev.quarry.data.Corpus;
import dev.quarry.data.Queries;
import dev.quarry.encode.EncodeOptions;
import dev.quarry.encode.RuntimeOptions;
import dev.quarry.encode.SentenceTransformer;
import dev.quarry.index.CorpusIndexer;
import dev.quarry.index.IndexSettings;
import dev.quarry.index.LuceneIndex;
import dev.quarry.model.Json;
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

import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Load test of {@code POST /search} on 127.0.0.1: the default model over the bundled AI QA corpus,
 * 1, 8 and 32 closed-loop clients for a fixed time each (bounded), QPS and latency quantiles, zero
 * errors required. During the 32-client run a writer adds documents through {@code POST
 * /documents}; afterwards every one of them must be counted and found.
 *
 * <p>The load generator shares the machine's cores with the server, as wrk would.
 * Usage: {@code ServerLoadTest [DATASET_DIR=datasets/ai-qa] [SECONDS_PER_LEVEL=15]}.
 */
public final class ServerLoadTest {
  static final String TOKEN = "load-test";

  public static void main(String[] args) throws Exception {
    Path dataset = Path.of(args.length > 0 ? args[0] : "datasets/ai-qa");
    int seconds = args.length > 1 ? Integer.parseInt(args[1]) : 15;
    Corpus corpus = Corpus.read(dataset.resolve("corpus.jsonl"));
    List<String> questions = new ArrayList<>(Queries.read(dataset.resolve("queries.jsonl")).byId().values());
    Path indexDir = Files.createTempDirectory("quarry-load");
    SentenceTransformer model = SentenceTransformer.load(ModelResolver.defaults().resolve(null), RuntimeOptions.defaults());
    LuceneIndex index = CorpusIndexer.build(indexDir, model, corpus, IndexSettings.defaults(), EncodeOptions.defaults(), null);
    QuarryServer server = QuarryServer.start(model, index, ServerConfig.defaults().withPort(0).withToken(TOKEN));
    HttpClient http = HttpClient.newBuilder().executor(Executors.newFixedThreadPool(8)).build();
    System.out.printf("POST /search (mode dense, k 5) on %s, %d passages, %s; %d s per level; %d cores shared by server"
        + " and load generator; Java %s%n%n", server.url(), corpus.size(), model.folder().modelId(), seconds,
        Runtime.getRuntime().availableProcessors(), System.getProperty("java.version"));
    String fmt = "%8s %10s %9s %9s %9s %8s%n";
    System.out.printf(fmt, "clients", "requests", "QPS", "p50 ms", "p99 ms", "errors");
    double qps1 = 0;
    double qps32 = 0;
    int added = 0;
    for (int clients : new int[] {1, 8, 32}) {
      AtomicInteger writes = new AtomicInteger();
      Thread writer = clients == 32 ? new Thread(() -> writeDuringLoad(http, server, writes, seconds)) : null;
      if (writer != null) {
        writer.start();
      }
      Level l = run(http, server, questions, clients, seconds);
      if (writer != null) {
        writer.join();
        added = writes.get();
      }
      System.out.printf(fmt, clients, l.requests, String.format("%.1f", l.qps), String.format("%.1f", l.p50),
          String.format("%.1f", l.p99), l.errors);
      if (clients == 1) {
        qps1 = l.qps;
      }
      if (clients == 32) {
        qps32 = l.qps;
      }
    }
    JsonNode health = Json.MAPPER.readTree(http.send(HttpRequest.newBuilder(URI.create(server.url() + "health")).build(),
        HttpResponse.BodyHandlers.ofString()).body());
    int found = 0;
    for (int i = 0; i < added; i++) {
      String body = "{\"query\": \"load test marker zq" + i + "x\", \"k\": 1, \"mode\": \"bm25\"}";
      JsonNode hits = Json.MAPPER.readTree(post(http, server, "search", body, null).body()).get("hits");
      found += hits.size() == 1 && hits.get(0).get("id").asText().equals("load-" + i) ? 1 : 0;
    }
    System.out.printf("%nThroughput 32 clients / 1 client: %.2fx%n", qps32 / qps1);
    System.out.printf("Documents added during the 32-client run: %d acknowledged; index holds %d = %d + %d: %s;"
        + " %d of %d found by their marker term%n", added, health.get("documents").asInt(), corpus.size(), added,
        health.get("documents").asInt() == corpus.size() + added ? "OK" : "MISMATCH", found, added);
    server.stop();
    model.close();
    System.exit(0);
  }

  record Level(int requests, double qps, double p50, double p99, int errors) {}

  private static Level run(HttpClient http, QuarryServer server, List<String> questions, int clients, int seconds) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(clients);
    long end = System.nanoTime() + seconds * 1_000_000_000L;
    List<Future<long[]>> futures = new ArrayList<>();
    AtomicInteger errors = new AtomicInteger();
    for (int c = 0; c < clients; c++) {
      int seed = c;
      futures.add(pool.submit(() -> {
        List<Long> lat = new ArrayList<>();
        int i = seed * 7;
        while (System.nanoTime() < end) {
          String q = questions.get(i++ % questions.size()).replace("\"", "'");
          long t0 = System.nanoTime();
          HttpResponse<String> r = post(http, server, "search", "{\"query\": \"" + q + "\", \"k\": 5}", null);
          lat.add(System.nanoTime() - t0);
          if (r.statusCode() != 200) {
            errors.incrementAndGet();
          }
        }
        return lat.stream().mapToLong(Long::longValue).toArray();
      }));
    }
    List<Long> all = new ArrayList<>();
    for (Future<long[]> f : futures) {
      for (long v : f.get()) {
        all.add(v);
      }
    }
    pool.shutdown();
    long[] sorted = all.stream().mapToLong(Long::longValue).sorted().toArray();
    return new Level(sorted.length, sorted.length / (double) seconds, sorted[sorted.length / 2] / 1e6,
        sorted[(int) (sorted.length * 0.99)] / 1e6, errors.get());
  }

  private static void writeDuringLoad(HttpClient http, QuarryServer server, AtomicInteger writes, int seconds) {
    long end = System.nanoTime() + seconds * 1_000_000_000L;
    try {
      for (int i = 0; System.nanoTime() < end; i++) {
        String doc = "{\"documents\": [{\"id\": \"load-" + i + "\", \"title\": \"Load test\", \"text\": \"load test marker zq" + i + "x\"}]}";
        if (post(http, server, "documents", doc, TOKEN).statusCode() == 200) {
          writes.incrementAndGet();
        }
        Thread.sleep(200);
      }
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  static HttpResponse<String> post(HttpClient http, QuarryServer server, String path, String body, String token) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(server.url() + path)).POST(HttpRequest.BodyPublishers.ofString(body))
        .header("Content-Type", "application/json");
    if (token != null) {
      b.header("Authorization", "Bearer " + token);
    }
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

}
