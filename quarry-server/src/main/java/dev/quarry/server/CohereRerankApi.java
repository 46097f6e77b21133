package dev.quarry.server;

import static dev.quarry.server.HttpExchanges.HttpError;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpExchange;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * Cohere's and Jina's rerank API, which most RAG frameworks' rerankers speak:
 *
 * <pre>
 * POST /v1/rerank (and /v2/rerank)
 *      {"model"?, "query", "documents": [string | {"text"}], "top_n"?, "return_documents"?: false}
 * → {"id", "model", "results": [{"index", "relevance_score", "document"?: {"text"}}], "meta"}
 * </pre>
 *
 * Scores are the cross-encoder's, after its activation (Sigmoid for a one-label reranker), best
 * first. Errors are Cohere's {@code {"message"}}.
 */
final class CohereRerankApi {
  private final Backends backends;

  CohereRerankApi(Backends backends) {
    this.backends = backends;
  }

  void register(Backends.Routes routes) {
    routes.add("/v1/rerank", "cohere_rerank", p -> p.equals("/v1/rerank"), true, ErrorShape.COHERE, this::rerank);
    routes.add("/v2/rerank", "cohere_rerank", p -> p.equals("/v2/rerank"), true, ErrorShape.COHERE, this::rerank);
  }

  private void rerank(HttpExchange ex) throws IOException {
    JsonNode body = ApiRequests.readPost(ex, backends);
    PairScorer pairs = TeiApi.requireReranker(backends);
    String model = ApiRequests.optionalString(body, "model");
    String id = pairs.crossEncoder().folder().modelId();
    if (model != null && !Backends.names(id).contains(model)) {
      throw new HttpError(404, "model '" + OpenAiApi.abbreviate(model) + "' is not served here; the reranker is '" + id + "'");
    }
    String query = ApiRequests.text(body, "query", backends.limits());
    List<String> documents = documents(body.get("documents"));
    int topN = ApiRequests.optionalInt(body, "top_n", documents.size(), 1, Integer.MAX_VALUE);
    boolean returnDocuments = ApiRequests.optionalBoolean(body, "return_documents", false);

    float[] scores = pairs.scores(query, documents, false, backends.limits().queryTimeoutMillis());
    int[] order = TeiApi.byScore(scores);
    List<Map<String, Object>> results = new ArrayList<>();
    for (int r = 0; r < Math.min(topN, order.length); r++) {
      int i = order[r];
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("index", i);
      m.put("relevance_score", scores[i]);
      if (returnDocuments) {
        m.put("document", Map.of("text", documents.get(i)));
      }
      results.add(m);
    }
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("id", UUID.randomUUID().toString());
    out.put("model", model == null ? id : model);
    out.put("results", results);
    out.put("meta", Map.of("api_version", Map.of("version", "2"), "billed_units", Map.of("search_units", 1)));
    HttpExchanges.sendJson(ex, 200, out);
  }

  /** Each a string or an object with a {@code text} field (Cohere's v1 and Jina's form), mixed as the client likes. */
  private List<String> documents(JsonNode docs) {
    if (docs == null || !docs.isArray() || docs.isEmpty()) {
      throw new HttpError(400, "field 'documents' must be a non-empty array of strings or {\"text\"} objects");
    }
    if (docs.size() > backends.limits().maxTexts()) {
      throw new HttpError(413, "'documents' holds " + docs.size() + " entries; the limit is " + backends.limits().maxTexts()
          + " per request");
    }
    List<String> out = new ArrayList<>(docs.size());
    long total = 0;
    for (int i = 0; i < docs.size(); i++) {
      JsonNode d = docs.get(i);
      JsonNode text = d.isObject() ? d.get("text") : d;
      if (text == null || !text.isTextual()) {
        throw new HttpError(400, "documents[" + i + "] must be a string or an object with a string 'text'");
      }
      out.add(ApiRequests.checkLength(text.asText(), "documents[" + i + "]", backends.limits()));
      total += text.asText().length();
    }
    ApiRequests.checkTotal(total, backends.limits());
    return out;
  }
}
