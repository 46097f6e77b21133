package dev.quarry.server;

/**
 * Server limits and settings.
 *
 * @param maxBodyBytes requests with a larger body get 413
 * @param maxK largest k a search may ask for
 * @param maxTextChars longest query or document text accepted
 * @param token bearer token required by the write endpoints, or null for none
 * @param maxBatch most queries encoded in one micro-batch
 * @param maxWaitMicros how long the first query of a batch waits for company
 * @param shutdownGraceSeconds how long shutdown waits for requests in flight
 * @param maxExactDocuments largest index that {@code "mode": "exact"} may scan (each exact query reads every vector)
 */
public record ServerConfig(String host, int port, int maxBodyBytes, int maxK, int maxTextChars, String token,
    int maxBatch, int maxWaitMicros, int shutdownGraceSeconds, int maxExactDocuments) {

  public static ServerConfig defaults() {
    return new ServerConfig("127.0.0.1", 8080, 1 << 20, 100, 10_000, null, 32, 2_000, 5, 100_000);
  }

  public ServerConfig withPort(int p) {
    return new ServerConfig(host, p, maxBodyBytes, maxK, maxTextChars, token, maxBatch, maxWaitMicros, shutdownGraceSeconds, maxExactDocuments);
  }

  public ServerConfig withHost(String h) {
    return new ServerConfig(h, port, maxBodyBytes, maxK, maxTextChars, token, maxBatch, maxWaitMicros, shutdownGraceSeconds, maxExactDocuments);
  }

  public ServerConfig withToken(String t) {
    return new ServerConfig(host, port, maxBodyBytes, maxK, maxTextChars, t, maxBatch, maxWaitMicros, shutdownGraceSeconds, maxExactDocuments);
  }

  public ServerConfig withMaxExactDocuments(int n) {
    return new ServerConfig(host, port, maxBodyBytes, maxK, maxTextChars, token, maxBatch, maxWaitMicros, shutdownGraceSeconds, n);
  }
}
