package dev.quarry.server;

import static dev.quarry.server.ServerFixture.TOKEN;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.quarry.TestModels;
import dev.quarry.encode.EncodeOptions;
import dev.quarry.encode.RuntimeOptions;
import dev.quarry.io.Json;
import dev.quarry.model.CrossEncoderFolder;
import dev.quarry.modules.Normalize;
import dev.quarry.rerank.CrossEncoder;
import dev.quarry.rerank.RankedDocument;
import dev.quarry.rerank.TextPair;
import dev.quarry.search.Reranker;
import dev.quarry.tokenize.Token;
import dev.quarry.tokenize.Tokenization;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * TEI's {@code /embed}, {@code /rerank}, {@code /tokenize}, {@code /info} and Cohere's {@code
 * /v1/rerank}, requests shaped as those clients send them: the answers must be the library's
 * ({@code quarry rerank} is {@link CrossEncoder#rank}).
 */
@Tag("slow")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class RerankApisTest {
  private static final String QUERY = "Why would you add a warm-up phase to the learning rate schedule?";
  private static final List<String> DOCS = List.of(
      "Warm-up raises the learning rate slowly over the first steps, so that early updates from random weights stay small.",
      "Dropout zeroes random activations during training, which keeps units from co-adapting.",
      "A learning-rate schedule decays the step size as training goes on.",
      "BM25 scores a passage by term frequency, inverse document frequency and length.",
      "Adam keeps running averages of gradients and their squares.");

  @TempDir static Path tmp;
  private ServerFixture f;
  private CrossEncoder ce;

  @BeforeAll
  void start() {
    ce = CrossEncoder.load(CrossEncoderFolder.read(TestModels.crossEncoder(tmp.resolve("ce"), 1, null), "test/ce", tmp.resolve("cache")),
        RuntimeOptions.defaults());
    f = new ServerFixture(tmp.resolve("index"), ServerConfig.defaults().withToken(TOKEN), new Reranker(ce, 10));
  }

  @AfterAll
  void stop() {
    f.close();
    ce.close();
  }

  @Test
  void teiRerankGivesQuarryRerankOrderAndScores() throws Exception {
    List<RankedDocument> want = ce.rank(QUERY, DOCS, 0, false);
    JsonNode got = ok(f.post("/rerank", Json.writer().writeValueAsString(java.util.Map.of("query", QUERY, "texts", DOCS,
        "return_text", true)), TOKEN));
    assertEquals(DOCS.size(), got.size());
    for (int r = 0; r < DOCS.size(); r++) {
      assertEquals(want.get(r).corpusId(), got.get(r).get("index").asInt(), "rank " + r);
      assertEquals(want.get(r).score(), got.get(r).get("score").floatValue(), 1e-6);
      assertEquals(DOCS.get(want.get(r).corpusId()), got.get(r).get("text").asText());
    }
    // raw_scores: the logit before the Sigmoid.
    JsonNode raw = ok(f.post("/rerank", Json.writer().writeValueAsString(java.util.Map.of("query", QUERY, "texts", DOCS,
        "raw_scores", true)), TOKEN));
    float logit = ce.logits(List.of(new TextPair(QUERY, DOCS.get(want.get(0).corpusId()))), 1)[0][0];
    assertEquals(logit, raw.get(0).get("score").floatValue(), 1e-5);
    assertFalse(raw.get(0).has("text"));
    // truncate: false refuses a pair over the reranker's 512 tokens.
    HttpResponse<String> longPair = f.post("/rerank", Json.writer().writeValueAsString(java.util.Map.of("query", QUERY, "texts",
        List.of(TestModels.LONG_TEXT + " " + TestModels.LONG_TEXT), "truncate", false)), TOKEN);
    assertEquals(413, longPair.statusCode(), longPair.body());
    assertEquals("Validation", ServerFixture.json(longPair).get("error_type").asText());
  }

  @Test
  void cohereRerankGivesQuarryRerankOrderWithTopNAndDocuments() throws Exception {
    List<RankedDocument> want = ce.rank(QUERY, DOCS, 3, true);
    String body = "{\"model\": \"ce\", \"query\": " + Json.writer().writeValueAsString(QUERY) + ", \"documents\": "
        + Json.writer().writeValueAsString(DOCS) + ", \"top_n\": 3, \"return_documents\": true}";
    JsonNode got = ok(f.post("/v1/rerank", body, TOKEN));
    JsonNode results = got.get("results");
    assertEquals(3, results.size());
    for (int r = 0; r < 3; r++) {
      assertEquals(want.get(r).corpusId(), results.get(r).get("index").asInt());
      assertEquals(want.get(r).score(), results.get(r).get("relevance_score").floatValue(), 1e-6);
      assertEquals(want.get(r).text(), results.get(r).get("document").get("text").asText());
    }
    // Jina's and Cohere v1's {text} documents (mixed with strings), and no model named.
    List<Object> mixed = new java.util.ArrayList<>(DOCS.stream().map(d -> (Object) java.util.Map.of("text", d)).toList());
    mixed.set(1, DOCS.get(1));
    String objects = "{\"query\": " + Json.writer().writeValueAsString(QUERY) + ", \"documents\": "
        + Json.writer().writeValueAsString(mixed) + "}";
    JsonNode all = ok(f.post("/v1/rerank", objects, TOKEN)).get("results");
    assertEquals(DOCS.size(), all.size());
    assertEquals(want.get(0).corpusId(), all.get(0).get("index").asInt());
    assertFalse(all.get(0).has("document"));
    HttpResponse<String> other = f.post("/v1/rerank", "{\"model\": \"rerank-english-v3.0\", \"query\": \"q\", \"documents\": [\"d\"]}",
        TOKEN);
    assertEquals(404, other.statusCode());
    assertTrue(ServerFixture.json(other).get("message").asText().contains("test/ce"), other.body());
    assertEquals(401, f.post("/v1/rerank", objects, null).statusCode());
  }

  @Test
  void teiEmbedIsTheLibrarysVectorNormalisedAndTruncatedOnRequest() throws Exception {
    float[] want = ServerFixture.model().encode(List.of(QUERY), EncodeOptions.defaults()).floats()[0];
    JsonNode got = ok(f.post("/embed", "{\"inputs\": " + Json.writer().writeValueAsString(QUERY) + "}", TOKEN));
    assertEquals(1, got.size());
    assertEquals(want.length, got.get(0).size());
    for (int d = 0; d < want.length; d++) {
      assertEquals(want[d], got.get(0).get(d).floatValue(), 1e-6);
    }
    float[] cut = java.util.Arrays.copyOf(want, 64);
    Normalize.l2NormalizeInPlace(cut);
    JsonNode small = ok(f.post("/embed", "{\"inputs\": [\"a\", " + Json.writer().writeValueAsString(QUERY) + "], \"dimensions\": 64}",
        TOKEN));
    assertEquals(64, small.get(1).size());
    assertEquals(cut[5], small.get(1).get(5).floatValue(), 1e-6);
    HttpResponse<String> tooLong = f.post("/embed", "{\"inputs\": " + Json.writer().writeValueAsString(TestModels.LONG_TEXT)
        + ", \"truncate\": false}", TOKEN);
    assertEquals(413, tooLong.statusCode(), tooLong.body());
    assertTrue(ServerFixture.json(tooLong).get("error").asText().contains("256 tokens"), tooLong.body());
    assertEquals(200, f.post("/embed", "{\"inputs\": " + Json.writer().writeValueAsString(TestModels.LONG_TEXT) + "}", TOKEN)
        .statusCode());
  }

  @Test
  void teiTokenizeShowsTheModelsTokensWithOffsets() throws Exception {
    String text = "Warm-up helps Transformers";
    JsonNode got = ok(f.post("/tokenize", "{\"inputs\": \"" + text + "\"}", TOKEN)).get(0);
    Tokenization want = ServerFixture.model().tokenize(null, List.of(text), EncodeOptions.defaults()).get(0);
    assertEquals(want.length(), got.size());
    assertEquals("[CLS]", got.get(0).get("text").asText());
    assertTrue(got.get(0).get("special").asBoolean());
    assertTrue(got.get(0).get("start").isNull());
    for (int t = 1; t < want.length() - 1; t++) {
      Token w = want.tokens().get(t);
      JsonNode g = got.get(t);
      assertEquals(w.id(), g.get("id").asLong());
      assertFalse(g.get("special").asBoolean());
      assertEquals(text.substring(w.start(), w.end()), g.get("text").asText());
      assertEquals(w.start(), g.get("start").asInt());
    }
    JsonNode bare = ok(f.post("/tokenize", "{\"inputs\": [\"" + text + "\"], \"add_special_tokens\": false}", TOKEN)).get(0);
    assertEquals(want.length() - 2, bare.size());
  }

  @Test
  void teiInfoDescribesBothModelsAndMetricsCountEveryEndpoint() throws Exception {
    assertEquals(401, f.get("/info").statusCode());
    JsonNode info = ok(f.get("/info", TOKEN));
    assertEquals(ServerFixture.MINILM, info.get("model_id").asText());
    assertEquals("float32", info.get("model_dtype").asText());
    assertEquals("mean", info.get("model_type").get("embedding").get("pooling").asText());
    assertEquals(256, info.get("max_input_length").asInt());
    assertEquals("test/ce", info.get("reranker").get("model_id").asText());
    assertNull(info.get("reranker").get("nothing"));
    f.post("/embed", "{\"inputs\": \"x\"}", TOKEN);
    f.post("/v1/embeddings", "{\"input\": \"x\"}", TOKEN);
    f.post("/v1/rerank", "{\"query\": \"q\", \"documents\": [\"d\"]}", TOKEN);
    String metrics = f.get("/metrics").body();
    for (String route : List.of("tei_embed", "openai_embeddings", "cohere_rerank", "tei_info")) {
      assertTrue(metrics.contains("quarry_requests_total{route=\"" + route + "\",status=\"200\"}"), route + "\n" + metrics);
      assertTrue(metrics.contains("quarry_request_seconds{route=\"" + route + "\",quantile=\"0.99\"}"), route);
    }
    assertTrue(metrics.lines().anyMatch(l -> l.startsWith("quarry_embed_batches_total ") && !l.endsWith(" 0")), metrics);
  }

  @Test
  void withoutARerankerTheRerankEndpointsAnswer404NamingTheOption() throws Exception {
    try (ServerFixture plain = new ServerFixture(tmp.resolve("plain-index"))) {
      HttpResponse<String> tei = plain.post("/rerank", "{\"query\": \"q\", \"texts\": [\"d\"]}", TOKEN);
      assertEquals(404, tei.statusCode());
      assertTrue(tei.body().contains("--rerank"), tei.body());
      HttpResponse<String> cohere = plain.post("/v1/rerank", "{\"query\": \"q\", \"documents\": [\"d\"]}", TOKEN);
      assertEquals(404, cohere.statusCode());
      assertTrue(ServerFixture.json(cohere).get("message").asText().contains("--rerank"), cohere.body());
    }
  }

  private static JsonNode ok(HttpResponse<String> r) throws Exception {
    assertEquals(200, r.statusCode(), r.body());
    return ServerFixture.json(r);
  }
}
