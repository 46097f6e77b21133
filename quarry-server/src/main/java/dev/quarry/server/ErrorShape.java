package dev.quarry.server;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * How an error answer is laid out, per API family: each family's clients parse their own shape
 * (the OpenAI SDKs raise {@code error.message}, TEI clients read {@code error} and {@code
 * error_type}, Cohere's read {@code message}). The status code is the same in every shape.
 */
enum ErrorShape {
  /** Quarry's own endpoints: {@code {"error": message}}. */
  QUARRY {
    @Override
    Object body(int status, String message, String param, String code) {
      return Map.of("error", message);
    }
  },
  /** OpenAI's {@code {"error": {"message", "type", "param", "code"}}}. */
  OPENAI {
    @Override
    Object body(int status, String message, String param, String code) {
      Map<String, Object> error = new LinkedHashMap<>();
      error.put("message", message);
      error.put("type", status >= 500 ? "server_error" : "invalid_request_error");
      error.put("param", param);
      error.put("code", code != null ? code : status == 401 ? "invalid_api_key" : status == 413 ? "request_too_large"
          : status == 503 ? "overloaded" : null);
      return Map.of("error", error);
    }
  },
  /** Text Embeddings Inference's {@code {"error": message, "error_type": ...}}. */
  TEI {
    @Override
    Object body(int status, String message, String param, String code) {
      String type = status == 503 ? "Overloaded" : status >= 500 ? "Backend" : status == 401 ? "Unauthorized" : "Validation";
      return Map.of("error", message, "error_type", type);
    }
  },
  /** Cohere's (and Jina's) {@code {"message": ...}}. */
  COHERE {
    @Override
    Object body(int status, String message, String param, String code) {
      return Map.of("message", message);
    }
  };

  abstract Object body(int status, String message, String param, String code);
}
