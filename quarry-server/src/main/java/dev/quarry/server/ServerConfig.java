package dev.quarry.server;

import java.util.List;

/**
 * Server settings.
 *
 * <p>Connection-level limits (how long a client may take to send its request, how many
 * connections are open at once) belong to the JDK's HTTP server, which reads them from system
 * properties once per process: see {@link ConnectionLimits}.
 *
 * @param host address to bind; anything but a loopback address needs a {@code token}
 * @param token bearer token required by the write endpoints and the compatibility APIs, and on a
 *     non-loopback bind by every endpoint but {@code /health} (see {@code publicRead}); null for
 *     none. At least {@link #MIN_TOKEN_LENGTH} characters.
 * @param allowedHosts host names (besides localhost and IP literals) that clients may use in the
 *     {@code Host} header; any other name is refused, which defeats DNS rebinding
 * @param limits per-request limits and the server's admission limits
 * @param maxBatch most queries encoded in one micro-batch
 * @param maxWaitMicros how long the first query of a batch waits for company
 * @param shutdownGraceSeconds how long shutdown lets requests in flight finish before closing
 *     connections; queued work is then cancelled and handlers still computing are interrupted
 * @param publicRead on a non-loopback bind, serve {@code /search}, {@code /encode} and {@code
 *     /metrics} without the token (writes and the compatibility APIs still need it)
 * @param corsOrigins origins (as browsers send them, {@code https://app.example:8443}) whose pages
 *     may call the API; requests from any other foreign origin are refused
 * @param groupByDocument over an index of chunks, answer one hit per document (its best chunk), not
 *     every chunk
 */
public record ServerConfig(String host, int port, String token, List<String> allowedHosts, Limits limits, int maxBatch,
    int maxWaitMicros, int shutdownGraceSeconds, boolean publicRead, List<String> corsOrigins, boolean groupByDocument) {

  /** Shorter tokens are refused at start: a bearer token is the only lock on a public bind. */
  public static final int MIN_TOKEN_LENGTH = 16;

  /**
   * What one request may ask for, and how much work the server takes on at once.
   *
   * @param maxBodyBytes requests with a larger body get 413
   * @param maxK largest k a search may ask for
   * @param maxTextChars longest single query or document text
   * @param maxTexts most texts in one {@code /encode}, {@code /v1/embeddings}, {@code /embed} or rerank
   *     request, or documents in one write (413 beyond)
   * @param maxTotalChars most characters over all texts of one request (413 beyond)
   * @param maxExactDocuments largest index that {@code "mode": "exact"} may scan (each exact query
   *     reads every vector)
   * @param maxConcurrentRequests searches, encodes and writes processed at once (counted once their
   *     body has arrived, so a slow client holds no permit); more get 503 with {@code Retry-After}
   *     at once instead of piling up behind the busy cores. Embedding requests are also admitted by
   *     their work: one whose texts would wait longer than half of {@code queryTimeoutMillis} behind
   *     those admitted before it, at the measured encoding rate, gets 503 at once
   * @param maxQueuedQueries queries (and, separately, embedding requests of {@code /encode}, {@code
   *     /v1/embeddings} and {@code /embed}) waiting for a micro-batch; more get 503 with {@code
   *     Retry-After}
   * @param queryTimeoutMillis how long a query waits for its embedding; a query that gives up is
   *     dropped from the queue, not encoded for nobody
   */
  public record Limits(int maxBodyBytes, int maxK, int maxTextChars, int maxTexts, int maxTotalChars, int maxExactDocuments,
      int maxConcurrentRequests, int maxQueuedQueries, int queryTimeoutMillis) {

    public static Limits defaults() {
      return new Limits(1 << 20, 100, 10_000, 256, 200_000, 100_000, 64, 512, 30_000);
    }

    public Limits withMaxExactDocuments(int n) {
      return new Limits(maxBodyBytes, maxK, maxTextChars, maxTexts, maxTotalChars, n, maxConcurrentRequests, maxQueuedQueries,
          queryTimeoutMillis);
    }

    public Limits withAdmission(int concurrentRequests, int queuedQueries, int timeoutMillis) {
      return new Limits(maxBodyBytes, maxK, maxTextChars, maxTexts, maxTotalChars, maxExactDocuments, concurrentRequests,
          queuedQueries, timeoutMillis);
    }
  }

  public ServerConfig {
    allowedHosts = List.copyOf(allowedHosts);
    corsOrigins = List.copyOf(corsOrigins);
  }

  public static ServerConfig defaults() {
    return new ServerConfig("127.0.0.1", 8080, null, List.of(), Limits.defaults(), 32, 2_000, 5, false, List.of(), true);
  }

  public ServerConfig withPublicRead(boolean open) {
    return new ServerConfig(host, port, token, allowedHosts, limits, maxBatch, maxWaitMicros, shutdownGraceSeconds, open, corsOrigins, groupByDocument);
  }

  public ServerConfig withCorsOrigins(List<String> origins) {
    return new ServerConfig(host, port, token, allowedHosts, limits, maxBatch, maxWaitMicros, shutdownGraceSeconds, publicRead, origins, groupByDocument);
  }

  public ServerConfig withPort(int p) {
    return new ServerConfig(host, p, token, allowedHosts, limits, maxBatch, maxWaitMicros, shutdownGraceSeconds, publicRead, corsOrigins, groupByDocument);
  }

  public ServerConfig withHost(String h) {
    return new ServerConfig(h, port, token, allowedHosts, limits, maxBatch, maxWaitMicros, shutdownGraceSeconds, publicRead, corsOrigins, groupByDocument);
  }

  public ServerConfig withToken(String t) {
    return new ServerConfig(host, port, t, allowedHosts, limits, maxBatch, maxWaitMicros, shutdownGraceSeconds, publicRead, corsOrigins, groupByDocument);
  }

  public ServerConfig withAllowedHosts(List<String> names) {
    return new ServerConfig(host, port, token, names, limits, maxBatch, maxWaitMicros, shutdownGraceSeconds, publicRead, corsOrigins, groupByDocument);
  }

  public ServerConfig withLimits(Limits l) {
    return new ServerConfig(host, port, token, allowedHosts, l, maxBatch, maxWaitMicros, shutdownGraceSeconds, publicRead, corsOrigins, groupByDocument);
  }

  public ServerConfig withGroupByDocument(boolean group) {
    return new ServerConfig(host, port, token, allowedHosts, limits, maxBatch, maxWaitMicros, shutdownGraceSeconds, publicRead, corsOrigins,
        group);
  }

  public ServerConfig withShutdownGraceSeconds(int seconds) {
    return new ServerConfig(host, port, token, allowedHosts, limits, maxBatch, maxWaitMicros, seconds, publicRead, corsOrigins, groupByDocument);
  }
}
