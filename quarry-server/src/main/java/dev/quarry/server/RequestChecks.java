package dev.quarry.server;

import static dev.quarry.server.HttpExchanges.HttpError;

import com.sun.net.httpserver.Headers;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Checks a request must pass before any handler sees it, against attacks a browser can be made to
 * carry out on the user's behalf:
 *
 * <ul>
 *   <li><b>DNS rebinding</b>: a page on {@code evil.example} re-points its own name to 127.0.0.1
 *       and then talks to the local server as same-origin. Its requests still carry {@code Host:
 *       evil.example}, so only loopback names, IP literals (rebinding needs a name) and the names
 *       the operator configured are served.
 *   <li><b>Cross-site requests</b>: a form or script on any page can POST {@code text/plain} to
 *       the server without a CORS preflight, and make it search or encode for nobody. Every POST
 *       must be {@code application/json} (which a cross-origin page can send only after a
 *       preflight), and any request whose {@code Origin} is neither the server's own nor one the
 *       operator allowed ({@code --cors-origin}) is refused, preflight included.
 * </ul>
 */
final class RequestChecks {
  static final String ALLOWED_METHODS = "GET, POST, DELETE";
  static final String ALLOWED_HEADERS = "Authorization, Content-Type";

  private final Set<String> allowedHosts;
  private final Set<String> corsOrigins;

  RequestChecks(List<String> allowedHosts, List<String> corsOrigins) {
    this.allowedHosts = allowedHosts.stream().map(h -> h.toLowerCase(Locale.ROOT)).collect(Collectors.toUnmodifiableSet());
    this.corsOrigins = corsOrigins.stream().map(RequestChecks::origin).collect(Collectors.toUnmodifiableSet());
  }

  /** An origin as browsers send it: lower-case scheme and host, no trailing slash. */
  static String origin(String o) {
    String t = o.trim();
    while (t.endsWith("/")) {
      t = t.substring(0, t.length() - 1);
    }
    return t.toLowerCase(Locale.ROOT);
  }

  /**
   * Refuses a request from a foreign origin unless the operator allowed that origin, in which case
   * the answer carries the CORS headers that let the browser read it. Requests without an {@code
   * Origin} (curl, SDKs, top-level navigation) and same-origin requests pass.
   *
   * @return true when the request came from an allowed foreign origin
   */
  boolean checkCrossOrigin(Headers request, Headers response) {
    String origin = request.getFirst("Origin");
    if (origin == null || sameOrigin(origin, request.getFirst("Host"))) {
      return false;
    }
    if (!origin.equals("null") && corsOrigins.contains(origin(origin))) {
      response.set("Access-Control-Allow-Origin", origin.trim());
      response.set("Vary", "Origin");
      return true;
    }
    throw new HttpError(403, "cross-origin requests are refused (Origin '" + abbreviate(origin) + "'); the operator can allow an"
        + " origin with --cors-origin");
  }

  /**
   * The answer to a CORS preflight ({@code OPTIONS} with {@code Access-Control-Request-Method}) from
   * an origin {@link #checkCrossOrigin} let through: the methods and headers the API takes.
   */
  void preflight(Headers request, Headers response) {
    String method = request.getFirst("Access-Control-Request-Method");
    if (method == null || !Set.of(ALLOWED_METHODS.split(", ")).contains(method.trim())) {
      throw new HttpError(405, "preflight for method '" + abbreviate(String.valueOf(method)) + "' refused; the API takes "
          + ALLOWED_METHODS);
    }
    response.set("Access-Control-Allow-Methods", ALLOWED_METHODS);
    response.set("Access-Control-Allow-Headers", ALLOWED_HEADERS);
    response.set("Access-Control-Max-Age", "600");
  }

  private static boolean sameOrigin(String origin, String host) {
    if (origin.equals("null") || host == null) {
      return false;
    }
    String authority = origin.trim().replaceFirst("^[a-zA-Z][a-zA-Z0-9+.-]*://", "");
    return authority.equalsIgnoreCase(host.trim());
  }

  /** Refuses a missing Host header or a host name that is neither local, an IP literal, nor allowed. */
  void checkHost(Headers headers) {
    String host = headers.getFirst("Host");
    if (host == null || host.isBlank()) {
      throw new HttpError(400, "the request has no Host header");
    }
    String name = hostName(host.trim()).toLowerCase(Locale.ROOT);
    if (name.equals("localhost") || isIpLiteral(name) || allowedHosts.contains(name)) {
      return;
    }
    throw new HttpError(403, "Host '" + abbreviate(name) + "' is not served here; the operator can allow it with --allowed-host");
  }

  /** Writes with a body: JSON only (415 otherwise), and never from another origin (403). */
  void checkWrite(Headers headers) {
    checkJson(headers);
    checkOrigin(headers);
  }

  void checkJson(Headers headers) {
    String type = headers.getFirst("Content-Type");
    String media = type == null ? "" : type.split(";", 2)[0].trim().toLowerCase(Locale.ROOT);
    if (!media.equals("application/json")) {
      throw new HttpError(415, "requests with a body need 'Content-Type: application/json'" + (type == null ? "" : ", got '" + abbreviate(type) + "'"));
    }
  }

  /** Refuses writes that a browser sends on behalf of another site. */
  void checkOrigin(Headers headers) {
    String from = headers.getFirst("Origin");
    if (from != null && !from.equals("null") && corsOrigins.contains(origin(from))) {
      return; // the operator lets this origin's pages call the API (writes still need the token)
    }
    String site = headers.getFirst("Sec-Fetch-Site");
    if (site != null && site.equalsIgnoreCase("cross-site")) {
      throw new HttpError(403, "cross-site writes are refused");
    }
    String origin = headers.getFirst("Origin");
    String host = headers.getFirst("Host");
    if (origin != null && !origin.equals("null") && host != null) {
      String authority = origin.replaceFirst("^[a-zA-Z][a-zA-Z0-9+.-]*://", "");
      if (!authority.equalsIgnoreCase(host.trim())) {
        throw new HttpError(403, "cross-origin writes are refused (Origin '" + abbreviate(origin) + "')");
      }
    } else if ("null".equals(origin)) {
      throw new HttpError(403, "writes from an opaque origin are refused");
    }
  }

  /** The name part of a Host header: {@code [::1]:8080} → {@code [::1]}, {@code a.b:80} → {@code a.b}. */
  static String hostName(String host) {
    if (host.startsWith("[")) {
      int end = host.indexOf(']');
      return end < 0 ? host : host.substring(0, end + 1);
    }
    int colon = host.lastIndexOf(':');
    return colon < 0 ? host : host.substring(0, colon);
  }

  private static boolean isIpLiteral(String name) {
    return name.matches("\\d{1,3}(\\.\\d{1,3}){3}") || name.matches("\\[[0-9a-f:.]+]");
  }

  private static String abbreviate(String s) {
    return s.length() <= 80 ? s : s.substring(0, 80) + "...";
  }
}
