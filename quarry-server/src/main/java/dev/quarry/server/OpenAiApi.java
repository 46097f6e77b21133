package dev.quarry.server;

import static dev.quarry.server.HttpExchanges.HttpError;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpExchange;
import dev.quarry.modules.Normalize;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * OpenAI's embeddings API, so that the OpenAI SDKs, LangChain4j's {@code OpenAiEmbeddingModel},
 * Spring AI and LlamaIndex reach Quarry by a base URL:
 *
 * <pre>
 * POST /v1/embeddings  {"input": string | [string], "model"?, "encoding_format"?: "float" | "base64",
 *                       "dimensions"?, "user"?, "input_type"?: "query" | "document"}
 * GET  /v1/models, /v1/models/{id}
 * </pre>
 *
 * <p>{@code dimensions} keeps the first components (Matryoshka) and re-normalises, as OpenAI's
 * text-embedding-3 models do. {@code input_type} is an extension (as Cohere's and Voyage's APIs
 * have): it picks the query or document prompt of an asymmetric model (bge, e5); without it the
 * model's default prompt applies. Errors come in OpenAI's shape, which the SDKs raise as
 * exceptions carrying the message.
 */
final class OpenAiApi {
  private final Backends backends;

  OpenAiApi(Backends backends) {
    this.backends = backends;
  }

  void register(Backends.Routes routes) {
    routes.add("/v1/embeddings", "openai_embeddings", p -> p.equals("/v1/embeddings"), true, ErrorShape.OPENAI, this::embeddings);
    routes.add("/v1/models", "openai_models", p -> p.equals("/v1/models") || p.startsWith("/v1/models/"), true, ErrorShape.OPENAI,
        this::models);
  }

  private void embeddings(HttpExchange ex) throws IOException {
    JsonNode body = ApiRequests.readPost(ex, backends);
    String modelName = requireServedModel(ApiRequests.optionalString(body, "model"));
    List<String> input = ApiRequests.texts(body.get("input"), "input", backends.limits());
    for (int i = 0; i < input.size(); i++) {
      if (input.get(i).isEmpty()) {
        throw new HttpError(400, "input" + (input.size() > 1 ? "[" + i + "]" : "") + " is an empty string; every input must"
            + " hold text").param("input");
      }
    }
    String format = ApiRequests.optionalString(body, "encoding_format");
    if (format != null && !format.equals("float") && !format.equals("base64")) {
      throw new HttpError(400, "encoding_format must be 'float' or 'base64', got '" + abbreviate(format) + "'")
          .param("encoding_format");
    }
    int full = backends.model().dimension();
    int dims = ApiRequests.optionalInt(body, "dimensions", full, 1, full);
    ApiRequests.optionalString(body, "user"); // accepted and ignored, as a self-hosted server has no per-user accounting
    EmbeddingService.Role role = role(ApiRequests.optionalString(body, "input_type"));

    EmbeddingService.Result result = backends.embeddings().embed(new EmbeddingService.Job(input, role, null),
        backends.limits().queryTimeoutMillis());
    List<Map<String, Object>> data = new ArrayList<>(input.size());
    for (int i = 0; i < result.vectors().length; i++) {
      float[] v = result.vectors()[i];
      if (dims < full) {
        v = Arrays.copyOf(v, dims);
        Normalize.l2NormalizeInPlace(v);
      }
      Map<String, Object> item = new LinkedHashMap<>();
      item.put("object", "embedding");
      item.put("index", i);
      item.put("embedding", "base64".equals(format) ? base64(v) : v);
      data.add(item);
    }
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("object", "list");
    out.put("data", data);
    out.put("model", modelName);
    out.put("usage", Map.of("prompt_tokens", result.totalTokens(), "total_tokens", result.totalTokens()));
    HttpExchanges.streamJson(ex, 200, out);
  }

  /** Little-endian float32, as the SDKs decode {@code encoding_format: base64}. */
  static String base64(float[] v) {
    ByteBuffer buf = ByteBuffer.allocate(v.length * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
    buf.asFloatBuffer().put(v);
    return Base64.getEncoder().encodeToString(buf.array());
  }

  private static EmbeddingService.Role role(String inputType) {
    if (inputType == null) {
      return EmbeddingService.Role.DEFAULT;
    }
    return switch (inputType.toLowerCase(Locale.ROOT)) {
      case "query", "search_query" -> EmbeddingService.Role.QUERY;
      case "document", "passage", "search_document" -> EmbeddingService.Role.DOCUMENT;
      default -> throw new HttpError(400, "input_type must be 'query' or 'document', got '" + abbreviate(inputType) + "'")
          .param("input_type");
    };
  }

  /** The name to answer with: the one the client sent, or the model's id when it sent none. */
  private String requireServedModel(String requested) {
    String id = backends.model().folder().modelId();
    if (requested == null || Backends.names(id).contains(requested)) {
      return requested == null ? id : requested;
    }
    throw new HttpError(404, "The model '" + abbreviate(requested) + "' does not exist on this server; it serves '" + id + "'")
        .param("model").code("model_not_found");
  }

  private void models(HttpExchange ex) throws IOException {
    ApiRequests.requireMethod(ex, "GET");
    ApiRequests.requireToken(ex, backends.config().token());
    List<Map<String, Object>> models = new ArrayList<>();
    models.add(model(backends.model().folder().modelId()));
    if (backends.pairs() != null) {
      models.add(model(backends.pairs().crossEncoder().folder().modelId()));
    }
    String path = ex.getRequestURI().getPath();
    if (path.startsWith("/v1/models/")) {
      String id = path.substring("/v1/models/".length());
      for (Map<String, Object> m : models) {
        if (Backends.names((String) m.get("id")).contains(id)) {
          HttpExchanges.sendJson(ex, 200, m);
          return;
        }
      }
      throw new HttpError(404, "The model '" + abbreviate(id) + "' does not exist on this server").param("model")
          .code("model_not_found");
    }
    HttpExchanges.sendJson(ex, 200, Map.of("object", "list", "data", models));
  }

  private Map<String, Object> model(String id) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("id", id);
    m.put("object", "model");
    m.put("created", backends.startedEpochSeconds());
    m.put("owned_by", "quarry");
    return m;
  }

  static String abbreviate(String s) {
    return s.length() <= 80 ? s : s.substring(0, 80) + "...";
  }
}
