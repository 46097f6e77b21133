package dev.quarry.server;

import static dev.quarry.server.HttpExchanges.HttpError;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.quarry.QuarryException;
import dev.quarry.data.Document;
import dev.quarry.encode.EncodeOptions;
import dev.quarry.encode.SentenceTransformer;
import dev.quarry.index.LuceneIndex;
import dev.quarry.index.SearchMode;
import dev.quarry.model.Json;
import dev.quarry.search.Hit;
import dev.quarry.search.Retriever;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.IntConsumer;

/**
 * The HTTP API and web page over one model and one Lucene index.
 *
 * <pre>
 * POST   /search     {"query", "k"?, "mode"?}      top-k passages with scores and highlighted terms
 * POST   /encode     {"texts", "prompt_name"?}      embeddings
 * POST   /documents  {"documents": [{"id", "title"?, "text"}]}   add or replace (bearer token)
 * DELETE /documents  {"ids": [...]}  or  DELETE /documents/{id}   (bearer token)
 * GET    /health, /metrics (Prometheus text), /  (the search page)
 * </pre>
 *
 * Writes are committed before they are acknowledged, so an acknowledged write survives a crash;
 * {@link #stop()} waits for requests in flight, then commits and closes the index.
 */
public final class QuarryServer implements AutoCloseable {
  static {
    // The JDK server writes headers and body separately; without TCP_NODELAY, Nagle's algorithm
    // holds the body until the client's delayed ACK (~40 ms per request). Read once, when the
    // JDK's server classes initialise, so it is set before the first server is created.
    if (System.getProperty("sun.net.httpserver.nodelay") == null) {
      System.setProperty("sun.net.httpserver.nodelay", "true");
    }
  }

  private final SentenceTransformer model;
  private final LuceneIndex index;
  private final ServerConfig config;
  private final HttpServer http;
  private final ExecutorService executor;
  private final MicroBatcher batcher;
  private final ServerMetrics metrics = new ServerMetrics();
  private final Highlighter highlighter = new Highlighter();
  private final byte[] page;
  private volatile boolean stopping;
  private final java.util.concurrent.atomic.AtomicInteger inFlight = new java.util.concurrent.atomic.AtomicInteger();

  private QuarryServer(SentenceTransformer model, LuceneIndex index, ServerConfig config) throws IOException {
    this.model = model;
    this.index = index;
    this.config = config;
    this.batcher = new MicroBatcher(model, Math.max(1, Runtime.getRuntime().availableProcessors()), config.maxBatch(),
        config.maxWaitMicros(), metrics::batch);
    try (InputStream in = QuarryServer.class.getResourceAsStream("web/index.html")) {
      this.page = in.readAllBytes();
    }
    this.http = HttpServer.create(new InetSocketAddress(config.host(), config.port()), 256);
    this.executor = Executors.newFixedThreadPool(64, r -> {
      Thread t = new Thread(r, "quarry-http");
      t.setDaemon(true);
      return t;
    });
    http.setExecutor(executor);
    route("/search", "search", this::search);
    route("/encode", "encode", this::encode);
    route("/documents", "documents", this::documents);
    route("/health", "health", this::health);
    route("/metrics", "metrics", ex -> HttpExchanges.send(ex, 200, "text/plain; version=0.0.4", HttpExchanges.utf8(metrics.prometheus())));
    route("/", "page", this::page);
  }

  /** Starts serving; port 0 picks a free port (see {@link #port()}). */
  public static QuarryServer start(SentenceTransformer model, LuceneIndex index, ServerConfig config) {
    try {
      QuarryServer s = new QuarryServer(model, index, config);
      s.http.start();
      return s;
    } catch (IOException e) {
      throw new QuarryException("Cannot start the server on " + config.host() + ":" + config.port() + ": " + e.getMessage(), e);
    }
  }

  public int port() {
    return http.getAddress().getPort();
  }

  public String url() {
    return "http://" + config.host() + ":" + port() + "/";
  }

  private interface Handler {
    void handle(HttpExchange ex) throws IOException;
  }

  private void route(String path, String name, Handler handler) {
    http.createContext(path, ex -> {
      inFlight.incrementAndGet();
      long start = System.nanoTime();
      boolean[] recorded = {false};
      IntConsumer record = status -> {
        if (!recorded[0]) {
          recorded[0] = true;
          metrics.record(name, status, System.nanoTime() - start);
        }
      };
      ex.setAttribute(HttpExchanges.BEFORE_RESPONSE, record);
      try {
        if (stopping) {
          throw new HttpError(503, "the server is shutting down");
        }
        handler.handle(ex);
      } catch (HttpError e) {
        HttpExchanges.sendError(ex, e.status, e.getMessage());
      } catch (QuarryException e) {
        HttpExchanges.sendError(ex, 400, e.getMessage());
      } catch (RuntimeException | IOException e) {
        HttpExchanges.sendError(ex, 500, "internal error: " + e);
      } finally {
        record.accept(ex.getResponseCode() > 0 ? ex.getResponseCode() : 500);
        ex.close();
        inFlight.decrementAndGet();
      }
    });
  }

  private void search(HttpExchange ex) throws IOException {
    requireMethod(ex, "POST");
    JsonNode body = HttpExchanges.readJson(ex, config.maxBodyBytes());
    String query = requireText(body, "query");
    int k = body.path("k").asInt(5);
    if (k < 1 || k > config.maxK()) {
      throw new HttpError(400, "k must be between 1 and " + config.maxK() + ", got " + k);
    }
    SearchMode mode = SearchMode.fromId(body.path("mode").asText("dense"));
    if (mode == SearchMode.EXACT && index.size() > config.maxExactDocuments()) {
      throw new HttpError(400, "mode exact scores every vector and is limited to " + config.maxExactDocuments()
          + " documents; this index holds " + index.size() + ". Use mode dense (HNSW).");
    }
    long start = System.nanoTime();
    Retriever retriever = index.retriever(mode);
    float[] vector = retriever.usesVectors() ? await(batcher.encodeQuery(query)) : null;
    List<Hit> hits = retriever.search(query, vector, k);
    ObjectNode out = Json.MAPPER.createObjectNode();
    out.put("query", query);
    out.put("mode", mode.id());
    ArrayNode arr = out.putArray("hits");
    for (Hit h : hits) {
      Document d = retriever.document(h.id());
      if (d == null) {
        continue;
      }
      ObjectNode o = arr.addObject();
      o.put("id", d.id());
      o.put("title", d.title());
      o.put("text", d.text());
      o.put("score", h.score());
      o.set("title_highlights", spans(query, d.title()));
      o.set("highlights", spans(query, d.text()));
    }
    out.put("took_ms", (System.nanoTime() - start) / 1e6);
    HttpExchanges.sendJson(ex, 200, out);
  }

  private ArrayNode spans(String query, String text) {
    ArrayNode a = Json.MAPPER.createArrayNode();
    for (int[] s : highlighter.spans(query, text)) {
      a.addArray().add(s[0]).add(s[1]);
    }
    return a;
  }

  private void encode(HttpExchange ex) throws IOException {
    requireMethod(ex, "POST");
    JsonNode body = HttpExchanges.readJson(ex, config.maxBodyBytes());
    JsonNode texts = body.get("texts");
    if (texts == null || !texts.isArray() || texts.isEmpty()) {
      throw new HttpError(400, "field 'texts' must be a non-empty array of strings");
    }
    List<String> list = new ArrayList<>();
    for (int i = 0; i < texts.size(); i++) {
      if (!texts.get(i).isTextual()) {
        throw new HttpError(400, "texts[" + i + "] is not a string");
      }
      list.add(checkLength(texts.get(i).asText(), "texts[" + i + "]"));
    }
    EncodeOptions options = EncodeOptions.defaults().withPromptName(body.hasNonNull("prompt_name") ? body.get("prompt_name").asText() : null)
        .withNormalize(body.path("normalize").asBoolean(false));
    float[][] vectors = model.encode(list, options).floats();
    HttpExchanges.sendJson(ex, 200, Map.of("model", model.folder().modelId(), "dimension", model.dimension(), "embeddings", vectors));
  }

  private void documents(HttpExchange ex) throws IOException {
    requireToken(ex);
    String method = ex.getRequestMethod();
    if (method.equals("POST")) {
      JsonNode docs = HttpExchanges.readJson(ex, config.maxBodyBytes()).get("documents");
      if (docs == null || !docs.isArray() || docs.isEmpty()) {
        throw new HttpError(400, "field 'documents' must be a non-empty array of {id, title, text}");
      }
      List<Document> list = new ArrayList<>();
      for (int i = 0; i < docs.size(); i++) {
        JsonNode d = docs.get(i);
        String where = "documents[" + i + "]";
        if (!d.path("id").isTextual() || d.path("id").asText().isEmpty() || !d.path("text").isTextual()) {
          throw new HttpError(400, where + " needs a non-empty string 'id' and a string 'text'");
        }
        list.add(new Document(d.get("id").asText(), checkLength(d.path("title").asText(""), where + ".title"),
            checkLength(d.get("text").asText(), where + ".text")));
      }
      float[][] vectors = model.encodeDocuments(list.stream().map(Document::fullText).toList(), EncodeOptions.defaults());
      index.upsert(list, vectors);
      index.commit();
      HttpExchanges.sendJson(ex, 200, Map.of("indexed", list.size(), "documents", index.size()));
    } else if (method.equals("DELETE")) {
      List<String> ids = new ArrayList<>();
      String path = ex.getRequestURI().getPath();
      if (path.length() > "/documents/".length()) {
        ids.add(java.net.URLDecoder.decode(path.substring("/documents/".length()), java.nio.charset.StandardCharsets.UTF_8));
      } else {
        JsonNode arr = HttpExchanges.readJson(ex, config.maxBodyBytes()).get("ids");
        if (arr == null || !arr.isArray()) {
          throw new HttpError(400, "DELETE /documents needs {\"ids\": [...]} or the id in the path");
        }
        arr.forEach(n -> ids.add(n.asText()));
      }
      ids.forEach(index::delete);
      index.commit();
      HttpExchanges.sendJson(ex, 200, Map.of("deleted", ids.size(), "documents", index.size()));
    } else {
      throw new HttpError(405, "use POST or DELETE on /documents");
    }
  }

  private void health(HttpExchange ex) throws IOException {
    HttpExchanges.sendJson(ex, 200, Map.of("status", "ok", "model", model.folder().modelId(), "documents", index.size()));
  }

  private void page(HttpExchange ex) throws IOException {
    String path = ex.getRequestURI().getPath();
    if (!path.equals("/") && !path.equals("/index.html")) {
      throw new HttpError(404, "no such page: " + path);
    }
    HttpExchanges.send(ex, 200, "text/html; charset=utf-8", page);
  }

  private void requireMethod(HttpExchange ex, String method) {
    if (!ex.getRequestMethod().equals(method)) {
      throw new HttpError(405, "use " + method + " on " + ex.getRequestURI().getPath());
    }
  }

  private void requireToken(HttpExchange ex) {
    if (config.token() == null) {
      return;
    }
    String auth = ex.getRequestHeaders().getFirst("Authorization");
    if (auth == null || !java.security.MessageDigest.isEqual(HttpExchanges.utf8(auth), HttpExchanges.utf8("Bearer " + config.token()))) {
      ex.getResponseHeaders().set("WWW-Authenticate", "Bearer");
      throw new HttpError(401, "this endpoint needs 'Authorization: Bearer <token>'");
    }
  }

  private String requireText(JsonNode body, String field) {
    JsonNode v = body.get(field);
    if (v == null || !v.isTextual() || v.asText().isBlank()) {
      throw new HttpError(400, "field '" + field + "' must be a non-empty string");
    }
    return checkLength(v.asText(), field);
  }

  private String checkLength(String s, String field) {
    if (s.length() > config.maxTextChars()) {
      throw new HttpError(400, field + " has " + s.length() + " characters; the limit is " + config.maxTextChars());
    }
    return s;
  }

  private static float[] await(java.util.concurrent.CompletableFuture<float[]> f) {
    try {
      return f.get(60, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new HttpError(503, "interrupted");
    } catch (ExecutionException e) {
      throw e.getCause() instanceof RuntimeException re ? re : new QuarryException(e.getCause().toString(), e.getCause());
    } catch (java.util.concurrent.TimeoutException e) {
      throw new HttpError(503, "encoding timed out");
    }
  }

  /**
   * Graceful shutdown: refuse new requests, let those in flight finish (up to the grace period),
   * then commit and close the index. Idempotent.
   */
  public synchronized void stop() {
    if (stopping) {
      return;
    }
    stopping = true;
    // Wait for requests in flight ourselves: Java 17's HttpServer.stop(delay) waits the whole delay
    // even with nothing in flight, which made every shutdown take the full grace period.
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(config.shutdownGraceSeconds());
    while (inFlight.get() > 0 && System.nanoTime() < deadline) {
      try {
        Thread.sleep(5);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
    }
    http.stop(0);
    batcher.close();
    executor.shutdown();
    index.commit();
    index.close();
  }

  @Override
  public void close() {
    stop();
  }
}
