package dev.quarry.server;

import static dev.quarry.server.HttpExchanges.HttpError;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpExchange;
import dev.quarry.encode.EncodeOptions;
import dev.quarry.modules.Normalize;
import dev.quarry.modules.PoolingMode;
import dev.quarry.rerank.CrossEncoder;
import dev.quarry.rerank.TextPair;
import dev.quarry.tokenize.Token;
import dev.quarry.tokenize.Tokenization;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;

/**
 * Hugging Face Text Embeddings Inference's API, for clients written against TEI (huggingface_hub's
 * {@code InferenceClient}, LangChain's and LlamaIndex's TEI classes):
 *
 * <pre>
 * POST /embed     {"inputs": string | [string], "normalize"?: true, "truncate"?: true, "prompt_name"?, "dimensions"?}
 * POST /rerank    {"query", "texts": [string], "raw_scores"?: false, "return_text"?: false, "truncate"?: true}
 * POST /tokenize  {"inputs": string | [string], "add_special_tokens"?: true, "prompt_name"?}
 * GET  /info
 * </pre>
 *
 * <p>One difference from TEI: {@code truncate} defaults to true, because sentence-transformers
 * truncates at the model's maximum length and Quarry's other endpoints do the same; {@code
 * "truncate": false} refuses an over-long input with 413, naming its length, as TEI does. Only
 * {@code truncation_direction} "right" is supported (sentence-transformers' only direction).
 */
final class TeiApi {
  private final Backends backends;

  TeiApi(Backends backends) {
    this.backends = backends;
  }

  void register(Backends.Routes routes) {
    routes.add("/embed", "tei_embed", p -> p.equals("/embed"), true, ErrorShape.TEI, this::embed);
    routes.add("/rerank", "tei_rerank", p -> p.equals("/rerank"), true, ErrorShape.TEI, this::rerank);
    routes.add("/tokenize", "tei_tokenize", p -> p.equals("/tokenize"), true, ErrorShape.TEI, this::tokenize);
    routes.add("/info", "tei_info", p -> p.equals("/info"), false, ErrorShape.TEI, this::info);
  }

  private JsonNode post(HttpExchange ex) throws IOException {
    JsonNode body = ApiRequests.readPost(ex, backends);
    String direction = ApiRequests.optionalString(body, "truncation_direction");
    if (direction != null && !direction.equalsIgnoreCase("right")) {
      throw new HttpError(400, "truncation_direction '" + OpenAiApi.abbreviate(direction) + "' is not supported: Quarry truncates"
          + " on the right, as sentence-transformers does");
    }
    return body;
  }

  private void embed(HttpExchange ex) throws IOException {
    JsonNode body = post(ex);
    List<String> inputs = ApiRequests.texts(body.get("inputs"), "inputs", backends.limits());
    boolean normalize = ApiRequests.optionalBoolean(body, "normalize", true);
    boolean truncate = ApiRequests.optionalBoolean(body, "truncate", true);
    String promptName = promptName(body);
    int full = backends.model().dimension();
    int dims = ApiRequests.optionalInt(body, "dimensions", full, 1, full);
    if (!truncate) {
      refuseOverlong(backends.model().tokenize(null, inputs, options(promptName)), "inputs", backends.model().maxSeqLength());
    }
    EmbeddingService.Result result = backends.embeddings().embed(
        new EmbeddingService.Job(inputs, EmbeddingService.Role.DEFAULT, promptName), backends.limits().queryTimeoutMillis());
    float[][] out = new float[inputs.size()][];
    for (int i = 0; i < out.length; i++) {
      float[] v = dims < full ? Arrays.copyOf(result.vectors()[i], dims) : result.vectors()[i];
      if (normalize) {
        Normalize.l2NormalizeInPlace(v);
      }
      out[i] = v;
    }
    HttpExchanges.streamJson(ex, 200, out);
  }

  private String promptName(JsonNode body) {
    String name = ApiRequests.optionalString(body, "prompt_name");
    if (name != null && !backends.model().folder().prompts().containsKey(name)) {
      throw new HttpError(400, "prompt_name '" + OpenAiApi.abbreviate(name) + "' is not one of the model's prompts "
          + backends.model().folder().prompts().keySet()).param("prompt_name");
    }
    return name;
  }

  private static EncodeOptions options(String promptName) {
    return promptName == null ? EncodeOptions.defaults() : EncodeOptions.defaults().withPromptName(promptName);
  }

  private static void refuseOverlong(List<Tokenization> tokens, String field, int maxLength) {
    for (int i = 0; i < tokens.size(); i++) {
      if (tokens.get(i).truncated()) {
        throw new HttpError(413, field + "[" + i + "] is longer than the model's " + maxLength + " tokens and \"truncate\" is"
            + " false: shorten it, or send \"truncate\": true").param(field);
      }
    }
  }

  private void rerank(HttpExchange ex) throws IOException {
    JsonNode body = post(ex);
    PairScorer pairs = requireReranker(backends);
    String query = ApiRequests.text(body, "query", backends.limits());
    List<String> texts = ApiRequests.texts(body.get("texts"), "texts", backends.limits());
    boolean raw = ApiRequests.optionalBoolean(body, "raw_scores", false);
    boolean returnText = ApiRequests.optionalBoolean(body, "return_text", false);
    if (!ApiRequests.optionalBoolean(body, "truncate", true)) {
      boolean[] over = pairs.crossEncoder().exceedsMaxLength(texts.stream().map(t -> new TextPair(query, t)).toList());
      for (int i = 0; i < over.length; i++) {
        if (over[i]) {
          throw new HttpError(413, "the query with texts[" + i + "] is longer than the reranker's " + pairs.crossEncoder().maxLength()
              + " tokens and \"truncate\" is false: shorten it, or send \"truncate\": true").param("texts");
        }
      }
    }
    float[] scores = pairs.scores(query, texts, raw, backends.limits().queryTimeoutMillis());
    List<Map<String, Object>> out = new ArrayList<>();
    for (int i : byScore(scores)) {
      Map<String, Object> r = new LinkedHashMap<>();
      r.put("index", i);
      r.put("score", scores[i]);
      if (returnText) {
        r.put("text", texts.get(i));
      }
      out.add(r);
    }
    HttpExchanges.sendJson(ex, 200, out);
  }

  /** Indices best first, ties in input order (as CrossEncoder.rank orders them). */
  static int[] byScore(float[] scores) {
    return IntStream.range(0, scores.length).boxed()
        .sorted(Comparator.comparingDouble((Integer i) -> -scores[i]).thenComparingInt(i -> i)).mapToInt(Integer::intValue).toArray();
  }

  /** The reranker, or 404 naming the option that provides one. */
  static PairScorer requireReranker(Backends backends) {
    if (backends.pairs() == null) {
      throw new HttpError(404, "this server has no reranker: start it with `quarry serve --rerank MODEL` (a cross-encoder folder"
          + " or hub id) to serve reranking");
    }
    return backends.pairs();
  }

  private void tokenize(HttpExchange ex) throws IOException {
    JsonNode body = post(ex);
    List<String> inputs = ApiRequests.texts(body.get("inputs"), "inputs", backends.limits());
    boolean special = ApiRequests.optionalBoolean(body, "add_special_tokens", true);
    String promptName = promptName(body);
    List<Tokenization> all = backends.model().tokenize(null, inputs, options(promptName));
    String prompt = promptName == null ? "" : backends.model().folder().prompts().get(promptName);
    List<List<Map<String, Object>>> out = new ArrayList<>();
    for (int i = 0; i < all.size(); i++) {
      String text = prompt + inputs.get(i);
      List<Map<String, Object>> tokens = new ArrayList<>();
      for (Token t : all.get(i).tokens()) {
        if (t.special() && !special) {
          continue;
        }
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", t.id());
        // As TEI: a token's text is its span of the input; a special token has no span.
        boolean spanned = !t.special() && t.start() >= 0 && t.end() <= text.length() && t.start() <= t.end();
        m.put("text", spanned ? text.substring(t.start(), t.end()) : t.text());
        m.put("special", t.special());
        m.put("start", spanned ? t.start() : null);
        m.put("stop", spanned ? t.end() : null);
        tokens.add(m);
      }
      out.add(tokens);
    }
    HttpExchanges.sendJson(ex, 200, out);
  }

  private void info(HttpExchange ex) throws IOException {
    ApiRequests.requireMethod(ex, "GET");
    ApiRequests.requireToken(ex, backends.config().token());
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("model_id", backends.model().folder().modelId());
    out.put("model_sha", null);
    out.put("model_dtype", Backends.dtype(backends.model().folder().onnxFile()));
    // TEI names one pooling; a model that concatenates several gets them joined with '+'.
    out.put("model_type", Map.of("embedding", Map.of("pooling",
        String.join("+", backends.model().folder().pooling().modes().stream().map(PoolingMode::id).toList()))));
    out.put("dimension", backends.model().dimension());
    out.put("max_input_length", backends.model().maxSeqLength());
    out.put("max_concurrent_requests", backends.limits().maxConcurrentRequests());
    out.put("max_client_batch_size", backends.limits().maxTexts());
    out.put("max_batch_requests", backends.config().maxBatch());
    out.put("prompts", backends.model().folder().prompts());
    if (backends.pairs() != null) {
      CrossEncoder ce = backends.pairs().crossEncoder();
      out.put("reranker", Map.of("model_id", ce.folder().modelId(), "model_dtype", Backends.dtype(ce.folder().onnxFile()),
          "model_type", Map.of("reranker", Map.of("id2label", ce.folder().labels())), "max_input_length", ce.maxLength()));
    }
    out.put("version", QuarryServer.class.getPackage().getImplementationVersion() == null ? "dev"
        : QuarryServer.class.getPackage().getImplementationVersion());
    HttpExchanges.sendJson(ex, 200, out);
  }
}
