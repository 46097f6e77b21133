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
import dev.quarry.index.Highlighter;
import dev.quarry.index.PassageIndex;
import dev.quarry.index.PassageSchema;
import dev.quarry.index.SearchMode;
import dev.quarry.io.Json;
import dev.quarry.modules.Normalize;
import dev.quarry.search.Reranker;
import dev.quarry.search.Retriever;
import dev.quarry.search.Searcher;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntConsumer;
import java.util.function.Predicate;

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
  /** Routes whose POST body is text to embed: admitted by their work (EmbeddingService). */
  private static final Set<String> EMBEDDING_ROUTES = Set.of("encode", "documents", "openai_embeddings", "tei_embed");
  private static final String CSP = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
      + "img-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

  private final SentenceTransformer model;
  private final PassageIndex index;
  private final ServerConfig config;
  private final ServerConfig.Limits limits;
  private final HttpServer http;
  private final ExecutorService executor;
  /** Whether reads (search, encode, metrics) need the token: on a non-loopback bind, unless --public-read. */
  private final boolean readsNeedToken;
  private final MicroBatcher<String, float[]> batcher;
  /** The rerank stage and its pair scorer, or null without a reranker. */
  private final Reranker reranker;
  private final PairScorer pairs;
  /** The reranker scoring through the pair scorer's shared batches, or null. */
  private final Reranker rerankStage;
  /** Queries encoded through the micro-batcher, shared with concurrent searches. */
  private final Searcher.QueryEncoder queryEncoder = texts -> texts.stream().map(this::awaitQuery).toArray(float[][]::new);
  /** Marks the words BM25 matched (an analyzer is safe to share across threads). */
  private final Highlighter highlighter = PassageSchema.highlighter();
  private final EmbeddingService embeddings;
  private final ServerMetrics metrics = new ServerMetrics();
  private final RequestChecks checks;
  private final Semaphore admission;
  private final Object writeLock = new Object();
  private final Map<String, byte[]> assets = new LinkedHashMap<>();
  private final AtomicInteger inFlight = new AtomicInteger();
  private final ClientWatch clientWatch = new ClientWatch();
  private final AtomicLong errorReferences = new AtomicLong();
  private volatile boolean stopping;

  private QuarryServer(SentenceTransformer model, PassageIndex index, ServerConfig config, Reranker reranker) throws IOException {
    this.model = model;
    this.reranker = reranker;
    // Pairs of concurrent searches and rerank requests share batches, as queries do.
    this.pairs = reranker == null ? null : new PairScorer(reranker.crossEncoder(), Math.max(config.maxBatch(), reranker.depth()),
        config.maxWaitMicros(), config.limits().maxQueuedQueries() * Math.max(reranker.depth(), config.limits().maxTexts()),
        metrics::rerankBatch);
    this.rerankStage = reranker == null ? null : reranker.scoringWith(p -> pairs.scores(p, false, config.limits().queryTimeoutMillis()));
    this.embeddings = new EmbeddingService(model, config, metrics::embedBatch);
    this.index = index;
    this.config = config;
    this.limits = config.limits();
    this.checks = new RequestChecks(config.allowedHosts(), config.corsOrigins());
    this.readsNeedToken = config.token() != null && !config.publicRead() && !loopback(config.host());
    this.admission = new Semaphore(limits.maxConcurrentRequests());
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
    route("/search", "search", p -> p.equals("/search"), true, this::search);
    route("/encode", "encode", p -> p.equals("/encode"), true, this::encode);
    route("/documents", "documents", p -> p.equals("/documents") || p.startsWith("/documents/") && p.length() > 11, true,
        this::documents);
    route("/health", "health", p -> p.equals("/health"), false, Access.OPEN, ErrorShape.QUARRY, this::health);
    route("/metrics", "metrics", p -> p.equals("/metrics"), false,
        ex -> HttpExchanges.send(ex, 200, "text/plain; version=0.0.4", HttpExchanges.utf8(metrics.prometheus())));
    // The APIs clients already speak, beside Quarry's own: same admission, limits, token and checks.
    Backends backends = new Backends(model, embeddings, pairs, config, checks, System.currentTimeMillis() / 1000);
    new OpenAiApi(backends).register(this::route);
    new TeiApi(backends).register(this::route);
    new CohereRerankApi(backends).register(this::route);
    // The page's files hold no data (the jar's own HTML, script and style); its searches need the
    // token where /search does, and the page asks for it.
    route("/", "page", p -> true, false, Access.OPEN, ErrorShape.QUARRY, this::page);
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
    return admission.availablePermits();
  }

  /** Texts the embedding service has run through the model (for tests that check dropped work). */
  long textsEmbedded() {
    return embeddings.textsEncoded();
  }

  /** Requests being handled now (0 once {@link #stop()} has returned). */
  public int requestsInFlight() {
    return inFlight.get();
  }

  /** Who may call a route. */
  private enum Access {
    /** Anyone who reaches the server: {@code /health} and the page's static files. */
    OPEN,
    /** On a non-loopback bind, only holders of the token, unless {@code --public-read}. */
    READ
  }

  private static boolean loopback(String host) {
    try {
      return InetAddress.getByName(host).isLoopbackAddress();
    } catch (IOException e) {
      return false;
    }
  }

  /**
   * @param exact which paths the route serves (the JDK matches contexts by prefix, so {@code
   *     /searchX} would otherwise reach {@code /search})
   * @param admitted whether the request counts against {@code maxConcurrentRequests}; health,
   *     metrics and the page do not, so they answer under overload
   */
  private void route(String path, String name, Predicate<String> exact, boolean admitted, Backends.Endpoint handler) {
    route(path, name, exact, admitted, Access.READ, ErrorShape.QUARRY, handler);
  }

  /** A route of a compatibility API, with errors laid out as its clients expect them. */
  private void route(String path, String name, Predicate<String> exact, boolean admitted, ErrorShape shape,
      Backends.Endpoint handler) {
    route(path, name, exact, admitted, Access.READ, shape, handler);
  }

  /**
   * Every request passes, in this order: the Host and path checks, the cross-origin check (a CORS
   * preflight is answered here), the token where the route needs it, the JSON content type of a
   * POST, the whole body read (bounded in size, and in time by the JDK's request limit), and only
   * then admission, so that a slow or refused client never holds a permit. Faults the client can
   * fix get 4xx with a message; anything else is the server's, answered 500 with a reference into
   * the log and no internals.
   */
  private void route(String path, String name, Predicate<String> exact, boolean admitted, Access access, ErrorShape shape,
      Backends.Endpoint handler) {
    http.createContext(path, ex -> {
      inFlight.incrementAndGet();
      long start = System.nanoTime();
      boolean[] recorded = {false};
      boolean[] admittedNow = {false};
      EmbeddingService.Reservation[] reserved = {null};
      // Just before the answer leaves: the request's work is done, so its permit and reservation go
      // back now, not after the client (which may send its next request at once) has the answer.
      IntConsumer record = status -> {
        if (!recorded[0]) {
          recorded[0] = true;
          metrics.record(name, status, System.nanoTime() - start);
        }
        release(admittedNow, reserved);
      };
      ex.setAttribute(HttpExchanges.BEFORE_RESPONSE, record);
      try {
        checks.checkHost(ex.getRequestHeaders());
        if (!exact.test(ex.getRequestURI().getPath())) {
          throw new HttpError(404, "no such endpoint: " + ex.getRequestURI().getPath());
        }
        boolean corsAllowed = checks.checkCrossOrigin(ex.getRequestHeaders(), ex.getResponseHeaders());
        String method = ex.getRequestMethod();
        if (method.equals("OPTIONS")) {
          if (corsAllowed) {
            checks.preflight(ex.getRequestHeaders(), ex.getResponseHeaders());
          }
          ex.getResponseHeaders().set("Allow", RequestChecks.ALLOWED_METHODS + ", OPTIONS");
          HttpExchanges.send(ex, 204, "text/plain; charset=utf-8", new byte[0]);
          return;
        }
        if (stopping) {
          throw new HttpError(503, "the server is shutting down");
        }
        if (access == Access.READ && readsNeedToken) {
          ApiRequests.requireToken(ex, config.token());
        }
        if (method.equals("POST")) {
          checks.checkJson(ex.getRequestHeaders());
        }
        long declared = HttpExchanges.declaredLength(ex);
        if (method.equals("POST") && EMBEDDING_ROUTES.contains(name) && declared > 0 && declared <= limits.maxBodyBytes()) {
          // Admitted by its declared size before the body is read: of a burst of such requests only
          // those that fit are read and parsed, the others are refused from their headers.
          try {
            reserved[0] = embeddings.reserve(declared, limits.queryTimeoutMillis());
          } catch (HttpError refused) {
            HttpExchanges.discardBody(ex);
            throw refused;
          }
        }
        if (method.equals("POST") || method.equals("DELETE")) {
          HttpExchanges.readBody(ex, limits.maxBodyBytes());
        }
        if (admitted) {
          if (!admission.tryAcquire()) {
            throw new HttpError(503, "the server is at its limit of " + limits.maxConcurrentRequests()
                + " requests at once; retry shortly").retryAfter(1);
          }
          admittedNow[0] = true;
          // Work done for this request is dropped if its client closes the connection meanwhile.
          AtomicBoolean gone = new AtomicBoolean();
          AutoCloseable watch = clientWatch.watch(ex.getLocalAddress(), ex.getRemoteAddress(), () -> gone.set(true));
          RequestScope.enter(gone, reserved[0]);
          try {
            handler.handle(ex);
          } finally {
            RequestScope.exit();
            closeQuietly(watch);
          }
        } else {
          handler.handle(ex);
        }
      } catch (HttpError e) {
        HttpExchanges.sendError(ex, e, shape);
      } catch (IOException e) {
        // The client went away or was cut off by a time limit mid-request: nobody to answer.
        LOG.log(System.Logger.Level.DEBUG, "connection failed: " + e);
      } catch (Throwable e) {
        // QuarryException too: client input is checked and refused as HttpError before any work,
        // so one that arrives here came from the environment (a failed commit, ONNX Runtime) and
        // its message may name server paths. Logged, answered with a reference only.
        long ref = errorReferences.incrementAndGet();
        LOG.log(System.Logger.Level.ERROR, "request " + ex.getRequestMethod() + " " + ex.getRequestURI().getPath()
            + " failed (reference " + ref + ")", e);
        sendQuietly(ex, 500, "internal error (reference " + ref + " in the server log)", shape);
      } finally {
        release(admittedNow, reserved);
        record.accept(ex.getResponseCode() > 0 ? ex.getResponseCode() : 500);
        ex.close();
        inFlight.decrementAndGet();
      }
    });
  }

  /** Gives back a request's admission permit and embedding reservation, once. */
  private void release(boolean[] admittedNow, EmbeddingService.Reservation[] reserved) {
    if (admittedNow[0]) {
      admittedNow[0] = false;
      admission.release();
    }
    if (reserved[0] != null) {
      reserved[0].close();
    }
  }

  private static void closeQuietly(AutoCloseable c) {
    try {
      c.close();
    } catch (Exception ignored) {
      // removing a watch cannot fail
    }
  }

  private static void sendQuietly(HttpExchange ex, int status, String message, ErrorShape shape) {
    try {
      if (ex.getResponseCode() < 0) { // nothing sent yet
        HttpExchanges.sendError(ex, status, message, shape);
      }
    } catch (IOException | RuntimeException ignored) {
      // the client is gone; the log has the failure
    }
  }

  private void search(HttpExchange ex) throws IOException {
    requireMethod(ex, "POST");
    JsonNode body = HttpExchanges.readJson(ex, limits.maxBodyBytes());
    String query = requireText(body, "query");
    JsonNode kNode = body.get("k");
    if (kNode != null && !kNode.isInt()) {
      throw new HttpError(400, "field 'k' must be an integer");
    }
    int k = kNode == null ? 5 : kNode.asInt();
    if (k < 1 || k > limits.maxK()) {
      throw new HttpError(400, "k must be between 1 and " + limits.maxK() + ", got " + k);
    }
    JsonNode modeNode = body.get("mode");
    if (modeNode != null && !modeNode.isTextual()) {
      throw new HttpError(400, "field 'mode' must be a string");
    }
    SearchMode mode = clientInput(() -> SearchMode.fromId(modeNode == null ? "dense" : modeNode.asText()));
    if (mode == SearchMode.EXACT && index.size() > limits.maxExactDocuments()) {
      throw new HttpError(400, "mode exact scores every vector and is limited to " + limits.maxExactDocuments()
          + " documents; this index holds " + index.size() + ". Use mode dense (HNSW).");
    }
    if (mode == SearchMode.BM25 || mode == SearchMode.HYBRID) {
      clientInput(() -> PassageSchema.queryTerms(query)); // too many distinct terms is the query's fault
    }
    int depth = rerankDepth(body);
    long start = System.nanoTime();
    Retriever retriever = clientInput(() -> index.retriever(mode)); // e.g. exact is not offered on SolrCloud
    Searcher.Result result = new Searcher(queryEncoder, retriever, rerankStage).search(query, k, depth);
    ObjectNode out = Json.object();
    out.put("query", query);
    out.put("mode", mode.id());
    if (result.reranked()) {
      out.put("reranked_by", reranker.crossEncoder().folder().modelId());
      out.put("rerank_depth", depth);
    }
    ArrayNode arr = out.putArray("hits");
    for (Searcher.Ranked r : result.hits()) {
      Document d = r.document();
      ObjectNode o = arr.addObject();
      o.put("id", d.id());
      o.put("title", d.title());
      o.put("text", d.text());
      o.put("score", r.hit().score());
      if (result.reranked()) {
        o.put("first_stage_score", r.firstStageScore());
        o.put("first_stage_rank", r.firstStageRank());
      }
      o.set("title_highlights", spans(query, d.title()));
      o.set("highlights", spans(query, d.text()));
    }
    out.put("took_ms", (System.nanoTime() - start) / 1e6);
    HttpExchanges.sendJson(ex, 200, out);
  }

  /** The request's rerank depth: 0 for no reranking (no reranker, or "rerank": false). */
  private int rerankDepth(JsonNode body) {
    JsonNode flag = body.get("rerank");
    if (flag != null && !flag.isBoolean()) {
      throw new HttpError(400, "field 'rerank' must be true or false");
    }
    JsonNode depthNode = body.get("rerank_depth");
    if (depthNode != null && !depthNode.isInt()) {
      throw new HttpError(400, "field 'rerank_depth' must be an integer");
    }
    boolean wanted = flag != null ? flag.asBoolean() : reranker != null;
    if (!wanted) {
      return 0;
    }
    if (reranker == null) {
      throw new HttpError(400, "this server has no reranker: start it with `quarry serve --rerank MODEL` (a cross-encoder)");
    }
    int depth = depthNode == null ? reranker.depth() : depthNode.asInt();
    if (depth < 1 || depth > limits.maxK()) {
      throw new HttpError(400, "rerank_depth must be between 1 and " + limits.maxK() + ", got " + depth);
    }
    return depth;
  }

  private ArrayNode spans(String query, String text) {
    ArrayNode a = Json.array();
    for (int[] s : highlighter.spans(query, text)) {
      a.addArray().add(s[0]).add(s[1]);
    }
    return a;
  }

  private void encode(HttpExchange ex) throws IOException {
    requireMethod(ex, "POST");
    JsonNode body = HttpExchanges.readJson(ex, limits.maxBodyBytes());
    List<String> list = requireTexts(body.get("texts"), "texts");
    JsonNode prompt = body.get("prompt_name");
    if (prompt != null && !prompt.isNull() && !prompt.isTextual()) {
      throw new HttpError(400, "field 'prompt_name' must be a string");
    }
    JsonNode normalize = body.get("normalize");
    if (normalize != null && !normalize.isBoolean()) {
      throw new HttpError(400, "field 'normalize' must be true or false");
    }
    String promptName = prompt == null || prompt.isNull() ? null : prompt.asText();
    if (promptName != null && !model.folder().prompts().containsKey(promptName)) {
      throw new HttpError(400, "prompt_name '" + promptName + "' is not one of the model's prompts " + model.folder().prompts().keySet());
    }
    float[][] vectors = embeddings.embed(new EmbeddingService.Job(list, EmbeddingService.Role.DEFAULT, promptName),
        limits.queryTimeoutMillis()).vectors();
    if (normalize != null && normalize.asBoolean()) {
      for (float[] v : vectors) {
        Normalize.l2NormalizeInPlace(v);
      }
    }
    HttpExchanges.streamJson(ex, 200, Map.of("model", model.folder().modelId(), "dimension", model.dimension(), "embeddings", vectors));
  }

  /** A non-empty array of strings within the count, length and total-length limits. */
  private List<String> requireTexts(JsonNode texts, String field) {
    if (texts == null || !texts.isArray() || texts.isEmpty()) {
      throw new HttpError(400, "field '" + field + "' must be a non-empty array of strings");
    }
    if (texts.size() > limits.maxTexts()) {
      throw new HttpError(413, "'" + field + "' holds " + texts.size() + " entries; the limit is " + limits.maxTexts()
          + " per request: send them in several requests");
    }
    List<String> list = new ArrayList<>();
    long total = 0;
    for (int i = 0; i < texts.size(); i++) {
      if (!texts.get(i).isTextual()) {
        throw new HttpError(400, field + "[" + i + "] is not a string");
      }
      String t = checkLength(texts.get(i).asText(), field + "[" + i + "]");
      total += t.length();
      list.add(t);
    }
    checkTotal(total);
    return list;
  }

  private void checkTotal(long chars) {
    if (chars > limits.maxTotalChars()) {
      throw new HttpError(413, "the request holds " + chars + " characters of text; the limit is " + limits.maxTotalChars()
          + " per request: send it in several requests");
    }
  }

  private void documents(HttpExchange ex) throws IOException {
    requireToken(ex);
    String method = ex.getRequestMethod();
    if (!method.equals("POST") && !method.equals("DELETE")) {
      throw new HttpError(405, "use POST or DELETE on /documents");
    }
    String path = ex.getRequestURI().getPath(); // decoded once, by URI: "a%2Bb" is "a+b", "100%25" is "100%"
    boolean byPath = path.startsWith("/documents/");
    if (byPath) {
      checks.checkOrigin(ex.getRequestHeaders()); // no body to type
    } else {
      checks.checkWrite(ex.getRequestHeaders());
    }
    if (method.equals("POST")) {
      if (byPath) {
        throw new HttpError(405, "POST to /documents, with the ids in the body");
      }
      List<Document> list = parseDocuments(HttpExchanges.readJson(ex, limits.maxBodyBytes()).get("documents"));
      // Through the embedding service: admitted by work, chunked, and dropped if abandoned, as /encode.
      float[][] vectors = embeddings.embed(new EmbeddingService.Job(list.stream().map(Document::fullText).toList(),
          EmbeddingService.Role.DOCUMENT, null), limits.queryTimeoutMillis()).vectors();
      long size;
      synchronized (writeLock) { // one write, one commit: a commit never carries half of another request
        try {
          index.replaceAtomically(list, vectors);
          index.commit();
        } catch (RuntimeException e) {
          if (index.allOrNothing()) {
            throw e;
          }
          long ref = errorReferences.incrementAndGet();
          LOG.log(System.Logger.Level.ERROR, "write of " + list.size() + " documents failed (reference " + ref + ")", e);
          throw new HttpError(503, "the write failed part-way (reference " + ref + " in the server log): this index has no"
              + " transaction across shards, so some of its documents may be written. Writes are idempotent by id: send the same"
              + " request again").retryAfter(1);
        }
        size = index.size();
      }
      HttpExchanges.sendJson(ex, 200, Map.of("indexed", list.size(), "documents", size, "all_or_nothing", index.allOrNothing()));
    } else {
      List<String> ids = byPath ? List.of(path.substring("/documents/".length()))
          : parseIds(HttpExchanges.readJson(ex, limits.maxBodyBytes()).get("ids"));
      for (int i = 0; i < ids.size(); i++) {
        String id = ids.get(i);
        String where = byPath ? "the id in the path" : "ids[" + i + "]";
        clientInput(() -> {
          PassageSchema.checkId(id);
          return null;
        }, where);
      }
      long size;
      synchronized (writeLock) {
        index.delete(ids);
        index.commit();
        size = index.size();
      }
      HttpExchanges.sendJson(ex, 200, Map.of("deleted", ids.size(), "documents", size));
    }
  }

  /** The whole request is checked before anything is encoded or written; ids are kept exactly as sent. */
  private List<Document> parseDocuments(JsonNode docs) {
    if (docs == null || !docs.isArray() || docs.isEmpty()) {
      throw new HttpError(400, "field 'documents' must be a non-empty array of {id, title, text}");
    }
    if (docs.size() > limits.maxTexts()) {
      throw new HttpError(413, "'documents' holds " + docs.size() + " entries; the limit is " + limits.maxTexts() + " per request");
    }
    List<Document> list = new ArrayList<>();
    Set<String> ids = new HashSet<>();
    long total = 0;
    for (int i = 0; i < docs.size(); i++) {
      JsonNode d = docs.get(i);
      String where = "documents[" + i + "]";
      if (!d.isObject()) {
        throw new HttpError(400, where + " must be an object {id, title, text}");
      }
      JsonNode id = d.get("id");
      JsonNode title = d.get("title");
      JsonNode text = d.get("text");
      if (id == null || !id.isTextual() || id.asText().isEmpty()) {
        throw new HttpError(400, where + ".id must be a non-empty string");
      }
      if (text == null || !text.isTextual()) {
        throw new HttpError(400, where + ".text must be a string");
      }
      if (title != null && !title.isNull() && !title.isTextual()) {
        throw new HttpError(400, where + ".title must be a string");
      }
      try {
        PassageSchema.checkId(id.asText());
      } catch (QuarryException e) {
        throw new HttpError(400, where + ".id: " + e.getMessage());
      }
      if (!ids.add(id.asText())) {
        throw new HttpError(400, where + ".id '" + id.asText() + "' appears earlier in the same request; send each id once");
      }
      String t = checkLength(title == null || title.isNull() ? "" : title.asText(), where + ".title");
      String x = checkLength(text.asText(), where + ".text");
      total += t.length() + x.length();
      list.add(new Document(id.asText(), t, x));
    }
    checkTotal(total);
    return list;
  }

  private List<String> parseIds(JsonNode arr) {
    if (arr == null || !arr.isArray() || arr.isEmpty()) {
      throw new HttpError(400, "DELETE /documents needs {\"ids\": [...]} (non-empty strings) or the id in the path");
    }
    if (arr.size() > limits.maxTexts()) {
      throw new HttpError(413, "'ids' holds " + arr.size() + " entries; the limit is " + limits.maxTexts() + " per request");
    }
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < arr.size(); i++) {
      if (!arr.get(i).isTextual() || arr.get(i).asText().isEmpty()) {
        throw new HttpError(400, "ids[" + i + "] must be a non-empty string");
      }
      ids.add(arr.get(i).asText());
    }
    return ids;
  }

  /** 200 "ok" only when queries can be encoded and the index can be written; 503 otherwise, saying why. */
  private void health(HttpExchange ex) throws IOException {
    requireMethod(ex, "GET");
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
    String status = stopping ? "stopping" : batcher.failed() || writing != null ? "failed" : problems.isEmpty() ? "ok" : "degraded";
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("status", status);
    out.put("model", model.folder().modelId());
    if (reranker != null) {
      out.put("reranker", reranker.crossEncoder().folder().modelId());
      out.put("rerank_depth", reranker.depth());
    }
    out.put("documents", writing == null ? index.size() : -1);
    out.put("problems", problems);
    HttpExchanges.sendJson(ex, status.equals("ok") ? 200 : 503, out);
  }

  private void page(HttpExchange ex) throws IOException {
    boolean head = ex.getRequestMethod().equals("HEAD");
    if (!head) {
      requireMethod(ex, "GET");
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
    if (auth == null || !MessageDigest.isEqual(HttpExchanges.utf8(auth), HttpExchanges.utf8("Bearer " + config.token()))) {
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
    if (s.length() > limits.maxTextChars()) {
      throw new HttpError(400, field + " has " + s.length() + " characters; the limit is " + limits.maxTextChars());
    }
    return s;
  }

  /**
   * Runs a check of the client's input: its {@link QuarryException} (a bad mode, a bad id) becomes a
   * 400 with its message, which names only what the client sent. Everywhere else a QuarryException
   * is the server's fault (see {@code route}).
   */
  private static <T> T clientInput(java.util.function.Supplier<T> check) {
    return clientInput(check, null);
  }

  private static <T> T clientInput(java.util.function.Supplier<T> check, String where) {
    try {
      return check.get();
    } catch (QuarryException e) {
      throw new HttpError(400, (where == null ? "" : where + ": ") + e.getMessage());
    }
  }

  /** The query's embedding from a micro-batch; a query that waits too long is dropped from the queue. */
  private float[] awaitQuery(String query) {
    return batcher.await(query, limits.queryTimeoutMillis(), "encoding the query");
  }

  /**
   * Graceful shutdown: refuse new requests, let those in flight finish (up to the grace period),
   * then close the connections and cancel work still queued (its clients get 503); a model call
   * under way finishes its current chunk (seconds), and the
   * batcher and index close only after every handler has returned: a handler must never use a
   * closed native resource. The caller closes the model after this returns. Idempotent.
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
    clientWatch.close();
    boolean interrupted = false;
    while (true) {
      try {
        if (executor.awaitTermination(5, TimeUnit.SECONDS) && inFlight.get() == 0) {
          break;
        }
        LOG.log(System.Logger.Level.WARNING, "waiting for " + inFlight.get() + " requests still running before closing the index");
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
