package dev.quarry.server;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Connection-level limits of the JDK's HTTP server. It reads them from system properties once, when
 * its classes initialise, and without them it waits forever for a client's headers and body: 64
 * sockets that send half a request would hold every worker thread, and {@code /health} with them.
 * Quarry sets a default for each property the user has not set, before the first server starts;
 * {@code -D} on the command line overrides any of them (the tests shorten the times).
 */
public final class ConnectionLimits {
  /** Property → Quarry's default. */
  public static final Map<String, String> DEFAULTS = defaults();

  private ConnectionLimits() {}

  private static Map<String, String> defaults() {
    Map<String, String> m = new LinkedHashMap<>();
    // Seconds from a request's first byte until its body is read: headers and body together.
    m.put("sun.net.httpserver.maxReqTime", "20");
    // Seconds from the end of the request to the end of the answer (the handler's work included).
    m.put("sun.net.httpserver.maxRspTime", "120");
    // Open connections; further ones are closed as soon as they are accepted. Each open connection
    // has at most one exchange, and each exchange its own thread (QuarryServer): this also bounds
    // the threads, while leaving room for hundreds of stalled clients beside working ones.
    m.put("jdk.httpserver.maxConnections", "1024");
    // Idle keep-alive connections kept open; the JDK's default, 200, closes every connection that
    // turns idle beyond it, so after a burst a client's next request pays a new connect.
    m.put("sun.net.httpserver.maxIdleConnections", "1024");
    // Header lines and total header bytes of one request.
    m.put("sun.net.httpserver.maxReqHeaders", "64");
    m.put("sun.net.httpserver.maxReqHeaderSize", "16384");
    // Seconds an idle keep-alive connection stays open.
    m.put("sun.net.httpserver.idleInterval", "30");
    // The JDK server writes headers and body separately; without TCP_NODELAY, Nagle's algorithm
    // holds the body until the client's delayed ACK (~40 ms per request).
    m.put("sun.net.httpserver.nodelay", "true");
    return Collections.unmodifiableMap(m);
  }

  /** Sets every limit the user has not set; idempotent, and too late once a JDK server has started. */
  static synchronized void apply() {
    DEFAULTS.forEach((k, v) -> {
      if (System.getProperty(k) == null) {
        System.setProperty(k, v);
      }
    });
  }
}
