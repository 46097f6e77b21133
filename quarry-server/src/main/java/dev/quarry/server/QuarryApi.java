package dev.quarry.server;

import static dev.quarry.server.HttpExchanges.HttpError;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import dev.quarry.QuarryException;
import dev.quarry.data.Document;
import dev.quarry.encode.SentenceTransformer;
import dev.quarry.index.Highlighter;
import dev.quarry.index.PassageIndex;
import dev.quarry.index.PassageSchema;
import dev.quarry.index.SearchMode;
import dev.quarry.io.Json;
import dev.quarry.modules.Normalize;
import dev.quarry.search.Reranker;
import dev.quarry.search.Retriever;
import dev.quarry.search.Searcher;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Quarry's own read API: {@code POST /search} (a {@link Searcher} per request: the query encoded
 * through the shared micro-batches, the index's retriever in the request's mode, the reranker's
 * pairs through the shared pair scorer) and {@code POST /encode}.
 */
final class QuarryApi {
  private final SentenceTransformer model;
  private final PassageIndex index;
  private final ServerConfig.Limits limits;
  /** Whether hits over chunks are grouped into documents unless a request says "group_by": "chunk". */
  private final boolean groupByDocument;
  private final EmbeddingService embeddings;
  private final MicroBatcher<String, float[]> queries;
  /** The configured rerank stage (its model id and default depth), or null. */
  private final Reranker reranker;
  /** The reranker scoring through the pair scorer's shared batches, or null. */
  private final Reranker rerankStage;
  /** Queries encoded through the micro-batcher, shared with concurrent searches. */
  private final Searcher.QueryEncoder queryEncoder = texts -> texts.stream().map(this::awaitQuery).toArray(float[][]::new);
  /** Marks the words BM25 matched (an analyzer is safe to share across threads). */
  private final Highlighter highlighter = PassageSchema.highlighter();

  QuarryApi(Backends backends, PassageIndex index, MicroBatcher<String, float[]> queries, Reranker reranker) {
    this.model = backends.model();
    this.index = index;
    this.limits = backends.limits();
    this.groupByDocument = backends.config().groupByDocument();
    this.embeddings = backends.embeddings();
    this.queries = queries;
    this.reranker = reranker;
    this.rerankStage = reranker == null ? null
        : reranker.scoringWith(p -> backends.pairs().scores(p, false, limits.queryTimeoutMillis()));
  }

  void register(Backends.Routes routes) {
    routes.add("/search", "search", p -> p.equals("/search"), true, ErrorShape.QUARRY, this::search);
    routes.add("/encode", "encode", p -> p.equals("/encode"), true, ErrorShape.QUARRY, this::encode);
  }

  private void search(HttpExchange ex) throws IOException {
    ApiRequests.requireMethod(ex, "POST");
    JsonNode body = HttpExchanges.readJson(ex, limits.maxBodyBytes());
    float[] vector = queryVector(body);
    String query = vector != null && !body.has("query") ? "" : requireText(body, "query");
    JsonNode kNode = body.get("k");
    if (kNode != null && !kNode.isInt()) {
      throw new HttpError(400, "field 'k' must be an integer");
    }
    int k = kNode == null ? 5 : kNode.asInt();
    if (k < 1 || k > limits.maxK()) {
      throw new HttpError(400, "k must be between 1 and " + limits.maxK() + ", got " + k);
    }
    JsonNode modeNode = body.get("mode");
    if (modeNode != null && !modeNode.isTextual()) {
      throw new HttpError(400, "field 'mode' must be a string");
    }
    SearchMode mode = clientInput(() -> SearchMode.fromId(modeNode == null ? "dense" : modeNode.asText()));
    if (mode == SearchMode.EXACT && index.size() > limits.maxExactDocuments()) {
      throw new HttpError(400, "mode exact scores every vector and is limited to " + limits.maxExactDocuments()
          + " documents; this index holds " + index.size() + ". Use mode dense (HNSW).");
    }
    if (mode == SearchMode.BM25 || mode == SearchMode.HYBRID) {
      if (query.isEmpty()) {
        throw new HttpError(400, "mode " + mode.id() + " reads the query text: give 'query'");
      }
      clientInput(() -> PassageSchema.queryTerms(query)); // too many distinct terms is the query's fault
    }

    int depth = rerankDepth(body);
    if (query.isEmpty() && depth > 0) { // a cross-encoder reads the query text
      if (body.has("rerank")) {
        throw new HttpError(400, "reranking reads the query text: give 'query' with 'vector'");
      }
      depth = 0;
    }
    boolean byDocument = groupBy(body);
    long start = System.nanoTime();
    Retriever retriever = clientInput(() -> index.retriever(mode, byDocument)); // e.g. exact is not offered on SolrCloud
    Searcher.Result result = new Searcher(queryEncoder, retriever, rerankStage).search(query, vector, k, depth);
    ObjectNode out = Json.object();
    out.put("query", query);
    out.put("mode", mode.id());
    out.put("searching", retriever.groupsChunks() ? "documents" : index.holdsChunks() ? "chunks" : "passages");
    out.put("model", model.folder().modelId());
    if (result.reranked()) {
      out.put("reranked_by", reranker.crossEncoder().folder().modelId());
      out.put("rerank_depth", depth);
      if (reranker.fusion() != Reranker.Fusion.NONE) {
        out.put("rerank_fusion", reranker.fusion().id()); // the hits' scores are then fused ones
      }
    }
    ArrayNode arr = out.putArray("hits");
    for (Searcher.Ranked r : result.hits()) {
      Document d = r.document();
      ObjectNode o = arr.addObject();
      o.put("id", d.id());
      if (d.origin() != null) {
        o.put("document_id", d.origin().documentId());
        if (!d.origin().path().isEmpty()) {
          o.put("path", d.origin().path());
        }
        if (d.origin().page() > 0) {
          o.put("page", d.origin().page());
        }
        o.put("start", d.origin().start());
        o.put("end", d.origin().end());
      }
      o.put("title", d.title());
      o.put("text", d.text());
      o.put("score", r.hit().score());
      if (result.reranked()) {
        o.put("first_stage_score", r.firstStageScore());
        o.put("first_stage_rank", r.firstStageRank());
      }
      List<List<int[]>> marks = highlighter.spans(query, List.of(d.title(), d.text()));
      o.set("title_highlights", spans(marks.get(0)));
      o.set("highlights", spans(marks.get(1)));
    }
    out.put("took_ms", (System.nanoTime() - start) / 1e6);
    HttpExchanges.sendJson(ex, 200, out);
  }

  /**
   * The query's embedding when the client sends one ({@code "vector": [numbers]}, the model's
   * dimension; as Elasticsearch's {@code query_vector}): vectors made elsewhere, and no encoding.
   */
  private float[] queryVector(JsonNode body) {
    JsonNode v = body.get("vector");
    if (v == null) {
      return null;
    }
    if (!v.isArray() || v.size() != model.dimension()) {
      throw new HttpError(400, "field 'vector' must be an array of " + model.dimension() + " numbers (the model's dimension)");
    }
    float[] out = new float[v.size()];
    for (int i = 0; i < out.length; i++) {
      JsonNode x = v.get(i);
      if (!x.isNumber() || !Float.isFinite(x.floatValue())) {
        throw new HttpError(400, "field 'vector' element " + i + " must be a finite number");
      }
      out[i] = x.floatValue();
    }
    return out;
  }

  /** Whether the request wants documents ("group_by": "document", the server's default) or raw chunks ("chunk"). */
  private boolean groupBy(JsonNode body) {
    JsonNode g = body.get("group_by");
    if (g == null) {
      return groupByDocument;
    }
    if (!g.isTextual() || !(g.asText().equals("document") || g.asText().equals("chunk"))) {
      throw new HttpError(400, "field 'group_by' must be \"document\" or \"chunk\"");
    }
    return g.asText().equals("document");
  }

  /** The request's rerank depth: 0 for no reranking (no reranker, or "rerank": false). */
  private int rerankDepth(JsonNode body) {
    JsonNode flag = body.get("rerank");
    if (flag != null && !flag.isBoolean()) {
      throw new HttpError(400, "field 'rerank' must be true or false");
    }
    JsonNode depthNode = body.get("rerank_depth");
    if (depthNode != null && !depthNode.isInt()) {
      throw new HttpError(400, "field 'rerank_depth' must be an integer");
    }
    boolean wanted = flag != null ? flag.asBoolean() : reranker != null;
    if (!wanted) {
      return 0;
    }
    if (reranker == null) {
      throw new HttpError(400, "this server has no reranker: start it with `quarry serve --rerank MODEL` (a cross-encoder)");
    }
    int depth = depthNode == null ? reranker.depth() : depthNode.asInt();
    if (depth < 1 || depth > limits.maxK()) {
      throw new HttpError(400, "rerank_depth must be between 1 and " + limits.maxK() + ", got " + depth);
    }
    return depth;
  }

  private static ArrayNode spans(List<int[]> marks) {
    ArrayNode a = Json.array();
    for (int[] s : marks) {
      a.addArray().add(s[0]).add(s[1]);
    }
    return a;
  }


  private void encode(HttpExchange ex) throws IOException {
    ApiRequests.requireMethod(ex, "POST");
    JsonNode body = HttpExchanges.readJson(ex, limits.maxBodyBytes());
    List<String> list = requireTexts(body.get("texts"), "texts");
    JsonNode prompt = body.get("prompt_name");
    if (prompt != null && !prompt.isNull() && !prompt.isTextual()) {
      throw new HttpError(400, "field 'prompt_name' must be a string");
    }
    JsonNode normalize = body.get("normalize");
    if (normalize != null && !normalize.isBoolean()) {
      throw new HttpError(400, "field 'normalize' must be true or false");
    }
    String promptName = prompt == null || prompt.isNull() ? null : prompt.asText();
    if (promptName != null && !model.folder().prompts().containsKey(promptName)) {
      throw new HttpError(400, "prompt_name '" + promptName + "' is not one of the model's prompts " + model.folder().prompts().keySet());
    }
    float[][] vectors = embeddings.embed(new EmbeddingService.Job(list, EmbeddingService.Role.DEFAULT, promptName),
        limits.queryTimeoutMillis()).vectors();
    if (normalize != null && normalize.asBoolean()) {
      for (float[] v : vectors) {
        Normalize.l2NormalizeInPlace(v);
      }
    }
    HttpExchanges.streamJson(ex, 200, Map.of("model", model.folder().modelId(), "dimension", model.dimension(), "embeddings", vectors));
  }

  /** A non-empty array of strings within the count, length and total-length limits. */
  private List<String> requireTexts(JsonNode texts, String field) {
    if (texts == null || !texts.isArray() || texts.isEmpty()) {
      throw new HttpError(400, "field '" + field + "' must be a non-empty array of strings");
    }
    if (texts.size() > limits.maxTexts()) {
      throw new HttpError(413, "'" + field + "' holds " + texts.size() + " entries; the limit is " + limits.maxTexts()
          + " per request: send them in several requests");
    }
    List<String> list = new ArrayList<>();
    long total = 0;
    for (int i = 0; i < texts.size(); i++) {
      if (!texts.get(i).isTextual()) {
        throw new HttpError(400, field + "[" + i + "] is not a string");
      }
      String t = checkLength(texts.get(i).asText(), field + "[" + i + "]");
      total += t.length();
      list.add(t);
    }
    checkTotal(total);
    return list;
  }

  private void checkTotal(long chars) {
    if (chars > limits.maxTotalChars()) {
      throw new HttpError(413, "the request holds " + chars + " characters of text; the limit is " + limits.maxTotalChars()
          + " per request: send it in several requests");
    }
  }

  private String requireText(JsonNode body, String field) {
    JsonNode v = body.get(field);
    if (v == null || !v.isTextual() || v.asText().isBlank()) {
      throw new HttpError(400, "field '" + field + "' must be a non-empty string");
    }
    return checkLength(v.asText(), field);
  }

  private String checkLength(String s, String field) {
    if (s.length() > limits.maxTextChars()) {
      throw new HttpError(400, field + " has " + s.length() + " characters; the limit is " + limits.maxTextChars());
    }
    return s;
  }

  /**
   * Runs a check of the client's input: its {@link QuarryException} (a bad mode, a bad id) becomes a
   * 400 with its message, which names only what the client sent. Everywhere else a QuarryException
   * is the server's fault (see {@code route}).
   */
  static <T> T clientInput(java.util.function.Supplier<T> check) {
    return clientInput(check, null);
  }

  static <T> T clientInput(java.util.function.Supplier<T> check, String where) {
    try {
      return check.get();
    } catch (QuarryException e) {
      throw new HttpError(400, (where == null ? "" : where + ": ") + e.getMessage());
    }
  }

  /** The query's embedding from a micro-batch; a query that waits too long is dropped from the queue. */
  private float[] awaitQuery(String query) {
    return queries.await(query, limits.queryTimeoutMillis(), "encoding the query");
  }
}
