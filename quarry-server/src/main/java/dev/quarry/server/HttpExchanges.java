package dev.quarry.server;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpExchange;
import dev.quarry.io.Json;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.function.IntConsumer;

/** Reading bounded JSON bodies and writing JSON or error answers on a JDK HttpExchange. */
final class HttpExchanges {
  /** Past this, an oversized body is not read any further (the connection may then be reset). */
  private static final long MAX_DRAIN_BYTES = 64L << 20;

  private HttpExchanges() {}

  /** An error answered with a status and {"error": message}. */
  static final class HttpError extends RuntimeException {
    private static final long serialVersionUID = 1L;

    final int status;
    int retryAfterSeconds = -1;
    /** The request field at fault (OpenAI's {@code error.param}), or null. */
    String param;
    /** A machine-readable reason (OpenAI's {@code error.code}, e.g. {@code model_not_found}), or null. */
    String code;

    HttpError(int status, String message) {
      super(message, null, false, false); // an answer, not a fault: no stack trace to fill
      this.status = status;
    }

    /** Adds a {@code Retry-After} header: the client may try again after this many seconds. */
    HttpError retryAfter(int seconds) {
      this.retryAfterSeconds = seconds;
      return this;
    }

    HttpError param(String field) {
      this.param = field;
      return this;
    }

    HttpError code(String reason) {
      this.code = reason;
      return this;
    }
  }

  /** Exchange attribute holding the request body, read whole before the request is admitted. */
  static final String BODY = "quarry.body";

  /**
   * Reads the whole body (too large → 413) and keeps it on the exchange for {@link #readJson}. The
   * server does this before admitting a request, so a client that sends its body slowly holds a
   * connection and a thread, never an admission permit.
   */
  static void readBody(HttpExchange ex, int maxBytes) throws IOException {
    ex.setAttribute(BODY, read(ex, maxBytes));
  }

  /**
   * Reads and drops the body (up to a bounded amount) before an answer that does not need it:
   * closing a socket with unread request bytes makes TCP reset the connection, and the client would
   * lose the answer.
   */
  static void discardBody(HttpExchange ex) throws IOException {
    try (InputStream in = ex.getRequestBody()) {
      drain(in);
    }
  }

  private static void drain(InputStream in) throws IOException {
    byte[] sink = new byte[1 << 16];
    long drained = 0;
    for (int n; drained < MAX_DRAIN_BYTES && (n = in.read(sink)) > 0; ) {
      drained += n;
    }
  }

  /** The declared Content-Length, or -1 when absent or malformed. */
  static long declaredLength(HttpExchange ex) {
    String v = ex.getRequestHeaders().getFirst("Content-Length");
    try {
      return v == null ? -1 : Long.parseLong(v.trim());
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  /** Parses the body (read before, or now) as a JSON object; too large → 413, malformed → 400. */
  static JsonNode readJson(HttpExchange ex, int maxBytes) throws IOException {
    byte[] body = ex.getAttribute(BODY) instanceof byte[] read ? read : read(ex, maxBytes);
    try {
      JsonNode node = Json.reader().readTree(body);
      if (node == null || !node.isObject()) {
        throw new HttpError(400, "the request body must be a JSON object");
      }
      return node;
    } catch (JsonProcessingException e) {
      // Jackson's stream constraints (nesting depth, number length) report no location.
      JsonLocation at = e.getLocation();
      throw new HttpError(400, "malformed JSON" + (at == null ? "" : " at line " + at.getLineNr() + ", column " + at.getColumnNr())
          + ": " + e.getOriginalMessage());
    }
  }

  private static byte[] read(HttpExchange ex, int maxBytes) throws IOException {
    String declared = ex.getRequestHeaders().getFirst("Content-Length");
    byte[] body;
    try (InputStream in = ex.getRequestBody()) {
      body = in.readNBytes(maxBytes + 1);
      if (body.length > maxBytes) {
        drain(in); // or the client would lose the 413 to a reset
        throw new HttpError(413, "request body" + (declared == null ? "" : " of " + declared.trim() + " bytes")
            + " exceeds the limit of " + maxBytes + " bytes");
      }
    }
    return body;
  }

  /**
   * Exchange attribute holding an {@code IntConsumer} told the status just before the response
   * leaves: metrics are recorded then, so a client that has its answer also sees it counted.
   */
  static final String BEFORE_RESPONSE = "quarry.beforeResponse";

  static void sendJson(HttpExchange ex, int status, Object value) throws IOException {
    send(ex, status, "application/json; charset=utf-8", Json.writer().writeValueAsBytes(value));
  }

  /** Writes a large JSON answer straight to the socket (chunked), never as one array in memory. */
  static void streamJson(HttpExchange ex, int status, Object value) throws IOException {
    headers(ex, "application/json; charset=utf-8");
    if (ex.getAttribute(BEFORE_RESPONSE) instanceof IntConsumer hook) {
      hook.accept(status);
    }
    ex.sendResponseHeaders(status, 0);
    try (OutputStream os = new BufferedOutputStream(ex.getResponseBody(), 1 << 16)) {
      Json.writer().writeValue(os, value);
    }
  }

  static void sendError(HttpExchange ex, HttpError e, ErrorShape shape) throws IOException {
    if (e.retryAfterSeconds >= 0) {
      ex.getResponseHeaders().set("Retry-After", Integer.toString(e.retryAfterSeconds));
      // A refused client comes back later: its connection is closed rather than kept idle, so a
      // burst of refusals does not fill the server's connection slots.
      ex.getResponseHeaders().set("Connection", "close");
    }
    sendJson(ex, e.status, shape.body(e.status, e.getMessage(), e.param, e.code));
  }

  static void sendError(HttpExchange ex, int status, String message, ErrorShape shape) throws IOException {
    sendJson(ex, status, shape.body(status, message, null, null));
  }

  private static void headers(HttpExchange ex, String contentType) {
    ex.getResponseHeaders().set("Content-Type", contentType);
    ex.getResponseHeaders().set("Cache-Control", "no-store");
    ex.getResponseHeaders().set("X-Content-Type-Options", "nosniff");
  }

  static void send(HttpExchange ex, int status, String contentType, byte[] body) throws IOException {
    headers(ex, contentType);
    if (ex.getAttribute(BEFORE_RESPONSE) instanceof IntConsumer hook) {
      hook.accept(status);
    }
    ex.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
    try (OutputStream os = ex.getResponseBody()) {
      os.write(body);
    }
  }

  static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
