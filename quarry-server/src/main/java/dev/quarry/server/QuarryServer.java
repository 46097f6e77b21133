package dev.quarry.server;

import static dev.quarry.server.HttpExchanges.HttpError;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.quarry.QuarryException;
import dev.quarry.encode.EncodeOptions;
import dev.quarry.encode.SentenceTransformer;
import dev.quarry.index.PassageIndex;
import dev.quarry.search.Reranker;
import dev.quarry.search.Searcher;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The HTTP API and web page over one model and one {@link PassageIndex} (local Lucene or SolrCloud),
 * searched through a {@link Searcher}.
 *
 * <pre>
 * POST   /search     {"query", "k"?, "mode"?, "rerank"?, "rerank_depth"?}   top-k passages with scores and
 *                    highlighted terms; with a reranker, the first stage's top rerank_depth re-scored by it
 * POST   /encode     {"texts", "prompt_name"?}      embeddings
 * POST   /documents  {"documents": [{"id", "title"?, "text"}]}   add or replace (bearer token)
 * DELETE /documents  {"ids": [...]}  or  DELETE /documents/{id}   (bearer token)
 * GET    /health, /metrics (Prometheus text), /  (the search page)
 * </pre>
 *
 * <p>Beside these, the APIs that clients already speak: OpenAI's {@code /v1/embeddings} and {@code
 * /v1/models} ({@link OpenAiApi}), TEI's {@code /embed}, {@code /rerank}, {@code /tokenize}, {@code
 * /info} ({@link TeiApi}) and Cohere's {@code /v1/rerank} ({@link CohereRerankApi}), through the same
 * admission, limits, checks, batchers and metrics.
 *
 * <p>Writes are validated whole, applied all or nothing, serialised, and committed before they are
 * acknowledged, so an acknowledged write survives a crash. Client faults get 4xx with a message
 * that says what to change; server faults get 5xx with a reference into the server log and no
 * internals. {@link #stop()} lets requests in flight finish, and closes nothing a request can still
 * use.
 */
public final class QuarryServer implements AutoCloseable {
  static {
    ConnectionLimits.apply(); // before the JDK server classes read them, once per process
  }

  private static final System.Logger LOG = System.getLogger(QuarryServer.class.getName());
  private static final String CSP = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
      + "img-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

  private final SentenceTransformer model;
  private final PassageIndex index;
  private final ServerConfig config;
  private final ServerConfig.Limits limits;
  private final HttpServer http;
  private final ExecutorService executor;
  private final MicroBatcher<String, float[]> batcher;
  /** The rerank stage and its pair scorer, or null without a reranker. */
  private final Reranker reranker;
  private final PairScorer pairs;

  private final EmbeddingService embeddings;
  private final ServerMetrics metrics = new ServerMetrics();
  private final RequestChecks checks;
  private final Map<String, byte[]> assets = new LinkedHashMap<>();
  private final AtomicLong errorReferences = new AtomicLong();
  private final RequestPipeline pipeline;

  private QuarryServer(SentenceTransformer model, PassageIndex index, ServerConfig config, Reranker reranker) throws IOException {
    this.model = model;
    this.reranker = reranker;
    // Pairs of concurrent searches and rerank requests share batches, as queries do.
    this.pairs = reranker == null ? null : new PairScorer(reranker.crossEncoder(), Math.max(config.maxBatch(), reranker.depth()),
        config.maxWaitMicros(), config.limits().maxQueuedQueries() * Math.max(reranker.depth(), config.limits().maxTexts()),
        metrics::rerankBatch);
    this.embeddings = new EmbeddingService(model, config, metrics::embedBatch);
    this.index = index;
    this.config = config;
    this.limits = config.limits();
    this.checks = new RequestChecks(config.allowedHosts(), config.corsOrigins());
    this.batcher = MicroBatcher.forQueries(texts -> model.encodeQueries(texts, EncodeOptions.defaults().withBatchSize(config.maxBatch())),
        Math.max(1, Runtime.getRuntime().availableProcessors()), config.maxBatch(), config.maxWaitMicros(),
        limits.maxQueuedQueries(), metrics::batch);
    for (String asset : List.of("index.html", "app.js", "app.css")) {
      try (InputStream in = QuarryServer.class.getResourceAsStream("web/" + asset)) {
        assets.put(asset, in.readAllBytes());
      }
    }
    // The listen backlog holds as many pending connections as the server may have open: a burst of
    // connects beyond a short backlog has SYNs dropped, and those clients wait a 1 s retransmission.
    this.http = HttpServer.create(new InetSocketAddress(config.host(), config.port()),
        Integer.getInteger("jdk.httpserver.maxConnections", 1024));
    // A thread per exchange, no queue: a request is never parked behind others before admission
    // decides on it, and a client that stalls holds only its own thread, never /health's. The
    // number of threads is bounded by jdk.httpserver.maxConnections (one exchange per connection
    // at a time). Platform threads, not virtual ones: handlers call into native inference, which
    // would pin a virtual thread's carrier, and Java 17 has none (see the README, Reliability).
    this.executor = new ThreadPoolExecutor(0, Integer.MAX_VALUE, 30, TimeUnit.SECONDS, new SynchronousQueue<>(), r -> {
      Thread t = new Thread(r, "quarry-http");
      t.setDaemon(true);
      return t;
    });
    http.setExecutor(executor);
    this.pipeline = new RequestPipeline(http, config, checks, embeddings, metrics,
        config.token() != null && !config.publicRead() && !loopback(config.host()), errorReferences);
    RequestPipeline p = pipeline;
    p.route("/health", "health", x -> x.equals("/health"), false, RequestPipeline.Access.OPEN, ErrorShape.QUARRY, this::health);
    p.route("/metrics", "metrics", x -> x.equals("/metrics"), false,
        ex -> HttpExchanges.send(ex, 200, "text/plain; version=0.0.4", HttpExchanges.utf8(metrics.prometheus())));
    // The APIs clients already speak, beside Quarry's own: same admission, limits, token and checks.
    Backends backends = new Backends(model, embeddings, pairs, config, checks, System.currentTimeMillis() / 1000);
    new QuarryApi(backends, index, batcher, reranker).register(p::route);
    new DocumentsApi(backends, index, errorReferences).register(p::route);
    new OpenAiApi(backends).register(p::route);
    new TeiApi(backends).register(p::route);
    new CohereRerankApi(backends).register(p::route);
    // The page's files hold no data (the jar's own HTML, script and style); its searches need the
    // token where /search does, and the page asks for it.
    p.route("/", "page", x -> true, false, RequestPipeline.Access.OPEN, ErrorShape.QUARRY, this::page);
  }

  /**
   * Starts serving; port 0 picks a free port (see {@link #port()}). Binding to a non-loopback
   * address without a token is refused: anyone who can reach it could rewrite the index.
   */
  public static QuarryServer start(SentenceTransformer model, PassageIndex index, ServerConfig config) {
    return start(model, index, config, null);
  }

  /**
   * As {@link #start(SentenceTransformer, PassageIndex, ServerConfig)}, with a rerank stage: {@code
   * /search} then re-scores the first stage's top {@code rerank_depth} (default the reranker's
   * depth) with its cross-encoder unless the request says {@code "rerank": false}. The caller
   * closes the cross-encoder after {@link #stop()}.
   */
  public static QuarryServer start(SentenceTransformer model, PassageIndex index, ServerConfig config, Reranker reranker) {
    try {
      if (config.token() == null && !loopback(config.host())) {
        throw new QuarryException("Refusing to serve on " + config.host() + " without a token: anyone who can reach it could read"
            + " every passage, spend its CPU, and add or delete documents. Set --token (or QUARRY_TOKEN), or bind to 127.0.0.1.");
      }
      if (config.token() != null && config.token().strip().length() < ServerConfig.MIN_TOKEN_LENGTH) {
        throw new QuarryException("Refusing a token of " + config.token().strip().length() + " characters" + (config.token().isBlank()
            ? " (is QUARRY_TOKEN set to an empty string?)" : "") + ": use at least " + ServerConfig.MIN_TOKEN_LENGTH
            + " random characters, e.g. `openssl rand -hex 16`.");
      }
      QuarryServer s = new QuarryServer(model, index, config, reranker);
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
    String host = config.host().contains(":") ? "[" + config.host() + "]" : config.host();
    return "http://" + host + ":" + port() + "/";
  }

  /** Admission permits free now (for tests that hold the server at its limit). */
  int admissionsAvailable() {
    return pipeline.admissionsAvailable();
  }

  /** Texts the embedding service has run through the model (for tests that check dropped work). */
  long textsEmbedded() {
    return embeddings.textsEncoded();
  }

  /** Requests being handled now (0 once {@link #stop()} has returned). */
  public int requestsInFlight() {
    return pipeline.inFlight();
  }

  /** Who may call a route. */
  private static boolean loopback(String host) {
    try {
      return InetAddress.getByName(host).isLoopbackAddress();
    } catch (IOException e) {
      return false;
    }
  }

  /** 200 "ok" only when queries can be encoded and the index can be written; 503 otherwise, saying why. */
  private void health(HttpExchange ex) throws IOException {
    ApiRequests.requireMethod(ex, "GET");
    List<String> problems = new ArrayList<>();
    String encoding = batcher.problem();
    String reranking = pairs == null ? null : pairs.problem();
    if (embeddings.problem() != null) {
      problems.add(embeddings.problem());
    }
    if (reranking != null) {
      problems.add(reranking);
    }
    String writing = index.writeProblem();
    if (encoding != null) {
      problems.add(encoding);
    }
    if (writing != null) {
      problems.add(writing);
    }
    String status = pipeline.stopping() ? "stopping" : batcher.failed() || writing != null ? "failed" : problems.isEmpty() ? "ok" : "degraded";
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("status", status);
    out.put("model", model.folder().modelId());
    if (reranker != null) {
      out.put("reranker", reranker.crossEncoder().folder().modelId());
      out.put("rerank_depth", reranker.depth());
    }
    out.put("documents", writing == null ? index.size() : -1);
    out.put("chunks", index.holdsChunks()); // what the page says it searches: documents cut into chunks, or passages
    out.put("group_by", index.holdsChunks() && config.groupByDocument() ? "document" : "passage");
    out.put("problems", problems);
    HttpExchanges.sendJson(ex, status.equals("ok") ? 200 : 503, out);
  }

  private void page(HttpExchange ex) throws IOException {
    boolean head = ex.getRequestMethod().equals("HEAD");
    if (!head) {
      ApiRequests.requireMethod(ex, "GET");
    }
    String path = ex.getRequestURI().getPath();
    String name = path.equals("/") ? "index.html" : path.substring(1);
    byte[] asset = assets.get(name);
    if (asset == null) {
      throw new HttpError(404, "no such page: " + path);
    }
    ex.getResponseHeaders().set("Content-Security-Policy", CSP);
    ex.getResponseHeaders().set("X-Frame-Options", "DENY");
    ex.getResponseHeaders().set("Referrer-Policy", "no-referrer");
    String type = name.endsWith(".js") ? "text/javascript; charset=utf-8" : name.endsWith(".css") ? "text/css; charset=utf-8"
        : "text/html; charset=utf-8";
    HttpExchanges.send(ex, 200, type, head ? new byte[0] : asset);
  }

  /**
   * Graceful shutdown: refuse new requests, let those in flight finish (up to the grace period),
   * then close the connections and cancel work still queued (its clients get 503); a model call
   * under way finishes its current chunk (seconds), and the
   * batcher and index close only after every handler has returned: a handler must never use a
   * closed native resource. The caller closes the model after this returns. Idempotent.
   */
  public synchronized void stop() {
    if (pipeline.stopping()) {
      return;
    }
    pipeline.stopAdmitting();
    // Wait for requests in flight ourselves: Java 17's HttpServer.stop(delay) waits the whole delay
    // even with nothing in flight, which made every shutdown take the full grace period.
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(config.shutdownGraceSeconds());
    while (pipeline.inFlight() > 0 && System.nanoTime() < deadline) {
      sleep(5);
    }
    http.stop(0);
    // Cancel the backlog: every handler waiting on queued work gets its 503 now, and a model call
    // under way stops at its next chunk. Handlers are released that way, not interrupted: an
    // interrupt during Lucene's file I/O closes the channel under the IndexWriter and fails it.
    batcher.close();
    embeddings.close();
    if (pairs != null) {
      pairs.close();
    }
    executor.shutdown();
    pipeline.closeWatch();
    boolean interrupted = false;
    while (true) {
      try {
        if (executor.awaitTermination(5, TimeUnit.SECONDS) && pipeline.inFlight() == 0) {
          break;
        }
        LOG.log(System.Logger.Level.WARNING, "waiting for " + pipeline.inFlight() + " requests still running before closing the index");
      } catch (InterruptedException e) {
        interrupted = true;
      }
    }
    if (index.writeProblem() == null) {
      index.commit();
      index.close();
    } else {
      LOG.log(System.Logger.Level.ERROR, "not committing at shutdown: " + index.writeProblem());
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public void close() {
    stop();
  }
}
