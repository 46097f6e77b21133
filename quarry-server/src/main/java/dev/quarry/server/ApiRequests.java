package dev.quarry.server;

import static dev.quarry.server.HttpExchanges.HttpError;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpExchange;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;

/**
 * Reading the fields of the compatibility APIs' requests (OpenAI, TEI, Cohere), each refusal naming
 * the field, and the size caps every endpoint shares: a text longer than {@code maxTextChars}, more
 * than {@code maxTexts} texts, or more than {@code maxTotalChars} in all is a 413 that states the
 * limit.
 */
final class ApiRequests {
  private ApiRequests() {}

  /**
   * A string or a non-empty array of strings. Token-id arrays (which OpenAI's API also takes) are
   * refused: ids from another model's tokenizer would be meaningless to this one.
   */
  static List<String> texts(JsonNode node, String field, ServerConfig.Limits limits) {
    if (node == null || node.isNull()) {
      throw new HttpError(400, "field '" + field + "' is required: a string or an array of strings").param(field);
    }
    if (node.isTextual()) {
      return List.of(checkLength(node.asText(), field, limits));
    }
    if (!node.isArray() || node.isEmpty()) {
      throw new HttpError(400, "field '" + field + "' must be a string or a non-empty array of strings").param(field);
    }
    if (node.get(0).isIntegralNumber() || node.get(0).isArray()) {
      throw new HttpError(400, "field '" + field + "' holds token ids; this server takes text only (token ids from another"
          + " tokenizer would mean nothing to this model): send the strings").param(field);
    }
    if (node.size() > limits.maxTexts()) {
      throw new HttpError(413, "'" + field + "' holds " + node.size() + " entries; the limit is " + limits.maxTexts()
          + " per request: send them in several requests").param(field);
    }
    List<String> out = new ArrayList<>(node.size());
    long total = 0;
    for (int i = 0; i < node.size(); i++) {
      if (!node.get(i).isTextual()) {
        throw new HttpError(400, field + "[" + i + "] is not a string").param(field);
      }
      String t = checkLength(node.get(i).asText(), field + "[" + i + "]", limits);
      total += t.length();
      out.add(t);
    }
    checkTotal(total, limits);
    return out;
  }

  static String checkLength(String s, String field, ServerConfig.Limits limits) {
    if (s.length() > limits.maxTextChars()) {
      throw new HttpError(413, field + " has " + s.length() + " characters; the limit is " + limits.maxTextChars()
          + " per text").param(field);
    }
    return s;
  }

  static void checkTotal(long chars, ServerConfig.Limits limits) {
    if (chars > limits.maxTotalChars()) {
      throw new HttpError(413, "the request holds " + chars + " characters of text; the limit is " + limits.maxTotalChars()
          + " per request: send it in several requests");
    }
  }

  /** A required non-blank string. */
  static String text(JsonNode body, String field, ServerConfig.Limits limits) {
    JsonNode v = body.get(field);
    if (v == null || !v.isTextual() || v.asText().isBlank()) {
      throw new HttpError(400, "field '" + field + "' must be a non-empty string").param(field);
    }
    return checkLength(v.asText(), field, limits);
  }

  /** An optional string, or null when absent or JSON null. */
  static String optionalString(JsonNode body, String field) {
    JsonNode v = body.get(field);
    if (v == null || v.isNull()) {
      return null;
    }
    if (!v.isTextual()) {
      throw new HttpError(400, "field '" + field + "' must be a string").param(field);
    }
    return v.asText();
  }

  static boolean optionalBoolean(JsonNode body, String field, boolean absent) {
    JsonNode v = body.get(field);
    if (v == null || v.isNull()) {
      return absent;
    }
    if (!v.isBoolean()) {
      throw new HttpError(400, "field '" + field + "' must be true or false").param(field);
    }
    return v.asBoolean();
  }

  /** An optional integer in [min, max], or {@code absent}. */
  static int optionalInt(JsonNode body, String field, int absent, int min, int max) {
    JsonNode v = body.get(field);
    if (v == null || v.isNull()) {
      return absent;
    }
    if (!v.isInt()) {
      throw new HttpError(400, "field '" + field + "' must be an integer").param(field);
    }
    if (v.asInt() < min || v.asInt() > max) {
      throw new HttpError(400, "field '" + field + "' must be between " + min + " and " + max + ", got " + v.asInt()).param(field);
    }
    return v.asInt();
  }

  /**
   * When the server has a token, these APIs need it as a bearer token: the OpenAI, Cohere and TEI
   * clients all send their API key that way.
   */
  static void requireToken(HttpExchange ex, String token) {
    if (token == null) {
      return;
    }
    String auth = ex.getRequestHeaders().getFirst("Authorization");
    if (auth == null || !MessageDigest.isEqual(HttpExchanges.utf8(auth), HttpExchanges.utf8("Bearer " + token))) {
      ex.getResponseHeaders().set("WWW-Authenticate", "Bearer");
      throw new HttpError(401, auth == null ? "this server needs 'Authorization: Bearer <token>' (the API key is the server's token)"
          : "the Bearer token is not this server's token").code("invalid_api_key");
    }
  }

  /**
   * What every compatible API does before reading a POST: the method, the bearer token, the
   * Origin/Content-Type checks, then the body as a bounded JSON object.
   */
  static JsonNode readPost(HttpExchange ex, Backends backends) throws java.io.IOException {
    requireMethod(ex, "POST");
    requireToken(ex, backends.config().token());
    backends.checks().checkWrite(ex.getRequestHeaders());
    return HttpExchanges.readJson(ex, backends.limits().maxBodyBytes());
  }

  static void requireMethod(HttpExchange ex, String method) {
    if (!ex.getRequestMethod().equals(method)) {
      throw new HttpError(405, "use " + method + " on " + ex.getRequestURI().getPath());
    }
  }
}
