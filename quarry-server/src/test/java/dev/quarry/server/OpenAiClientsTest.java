package dev.quarry.server;

import static dev.quarry.server.ServerFixture.MINILM;
import static dev.quarry.server.ServerFixture.TOKEN;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.errors.BadRequestException;
import com.openai.errors.NotFoundException;
import com.openai.errors.UnauthorizedException;
import com.openai.models.embeddings.CreateEmbeddingResponse;
import com.openai.models.embeddings.EmbeddingCreateParams;
import com.openai.models.models.Model;
import dev.langchain4j.data.embedding.Embedding;
import dev.langchain4j.data.segment.TextSegment;
import dev.langchain4j.model.openai.OpenAiEmbeddingModel;
import dev.quarry.TestModels;
import dev.quarry.encode.EncodeOptions;
import dev.quarry.encode.SentenceTransformer;
import dev.quarry.modules.Normalize;
import dev.quarry.tokenize.Tokenization;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code /v1/embeddings} driven by the real clients: OpenAI's Java SDK and LangChain4j's {@code
 * OpenAiEmbeddingModel}, pointed at a Quarry server by base URL. What they decode must be what the
 * library encodes.
 */
@Tag("slow")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class OpenAiClientsTest {
  private static final List<String> TEXTS = TestModels.PROBES;

  @TempDir static Path tmp;
  private ServerFixture f;
  private OpenAIClient client;
  private float[][] want;

  @BeforeAll
  void start() {
    f = new ServerFixture(tmp.resolve("index"));
    client = OpenAIOkHttpClient.builder().baseUrl(f.server.url() + "v1").apiKey(TOKEN).maxRetries(0).build();
    want = ServerFixture.model().encode(TEXTS, EncodeOptions.defaults()).floats();
  }

  @AfterAll
  void stop() {
    client.close();
    f.close();
  }

  @Test
  void theSdksFloatVectorsAreTheLibrarysAndUsageCountsTheModelsTokens() {
    CreateEmbeddingResponse r = client.embeddings().create(EmbeddingCreateParams.builder().model(MINILM).inputOfArrayOfStrings(TEXTS)
        .encodingFormat(EmbeddingCreateParams.EncodingFormat.FLOAT).build());
    assertEquals(TEXTS.size(), r.data().size());
    for (int i = 0; i < TEXTS.size(); i++) {
      assertEquals(i, r.data().get(i).index());
      assertTrue(maxAbsDiff(want[i], r.data().get(i).embedding()) <= 1e-6, "text " + i);
    }
    assertEquals(MINILM, r.model());
    long tokens = ServerFixture.model().tokenize(null, TEXTS, EncodeOptions.defaults()).stream().mapToLong(Tokenization::length).sum();
    assertEquals(tokens, r.usage().promptTokens());
    assertEquals(tokens, r.usage().totalTokens());
  }

  @Test
  void base64VectorsAreBitIdentical() {
    CreateEmbeddingResponse r = client.embeddings().create(EmbeddingCreateParams.builder().model("all-MiniLM-L6-v2")
        .inputOfArrayOfStrings(TEXTS).encodingFormat(EmbeddingCreateParams.EncodingFormat.BASE64).build());
    for (int i = 0; i < TEXTS.size(); i++) {
      assertTrue(r.data().get(i).embeddingValue().isBase64(), "the server answered base64");
      List<Float> got = r.data().get(i).embedding(); // the SDK's own decoding
      assertEquals(want[i].length, got.size());
      for (int d = 0; d < want[i].length; d++) {
        assertEquals(Float.floatToRawIntBits(want[i][d]), Float.floatToRawIntBits(got.get(d)), "text " + i + ", component " + d);
      }
    }
  }

  @Test
  void dimensionsTruncateAndRenormaliseThroughBothClients() {
    float[] expected = Arrays.copyOf(want[0], 128);
    Normalize.l2NormalizeInPlace(expected);
    CreateEmbeddingResponse r = client.embeddings().create(EmbeddingCreateParams.builder().model(MINILM).input(TEXTS.get(0))
        .dimensions(128).build());
    assertEquals(128, r.data().get(0).embedding().size());
    assertTrue(maxAbsDiff(expected, r.data().get(0).embedding()) <= 1e-6);

    OpenAiEmbeddingModel lc = OpenAiEmbeddingModel.builder().baseUrl(f.server.url() + "v1").apiKey(TOKEN).modelName(MINILM)
        .dimensions(128).maxRetries(0).build();
    float[] got = lc.embed(TEXTS.get(0)).content().vector();
    assertEquals(128, got.length);
    assertTrue(maxAbsDiff(expected, got) <= 1e-6);
  }

  @Test
  void langChain4jsOpenAiEmbeddingModelGetsTheLibrarysVectors() {
    OpenAiEmbeddingModel lc = OpenAiEmbeddingModel.builder().baseUrl(f.server.url() + "v1").apiKey(TOKEN).modelName(MINILM)
        .maxRetries(0).build();
    List<Embedding> got = lc.embedAll(TEXTS.stream().map(TextSegment::from).toList()).content();
    assertEquals(TEXTS.size(), got.size());
    for (int i = 0; i < TEXTS.size(); i++) {
      assertTrue(maxAbsDiff(want[i], got.get(i).vector()) <= 1e-6, "text " + i);
    }
    assertEquals(384, lc.dimension());
  }

  @Test
  void modelsAreListed() {
    List<Model> models = client.models().list().data();
    assertEquals(List.of(MINILM), models.stream().map(Model::id).toList());
    assertEquals(MINILM, client.models().retrieve("all-MiniLM-L6-v2").id());
  }

  @Test
  void refusalsComeInOpenAisShapeAndTheSdkRaisesThem() throws Exception {
    NotFoundException nf = assertThrows(NotFoundException.class, () -> client.embeddings().create(EmbeddingCreateParams.builder()
        .model("text-embedding-3-small").input("x").build()));
    assertTrue(nf.getMessage().contains("text-embedding-3-small") && nf.getMessage().contains(MINILM), nf.getMessage());
    assertEquals("model_not_found", nf.code().orElseThrow());

    OpenAIClient wrongKey = OpenAIOkHttpClient.builder().baseUrl(f.server.url() + "v1").apiKey("not-the-token").maxRetries(0).build();
    assertThrows(UnauthorizedException.class, () -> wrongKey.embeddings().create(EmbeddingCreateParams.builder().model(MINILM)
        .input("x").build()));
    wrongKey.close();

    BadRequestException tooWide = assertThrows(BadRequestException.class, () -> client.embeddings().create(
        EmbeddingCreateParams.builder().model(MINILM).input("x").dimensions(385).build()));
    assertEquals("dimensions", tooWide.param().orElseThrow());
    BadRequestException ids = assertThrows(BadRequestException.class, () -> client.embeddings().create(
        EmbeddingCreateParams.builder().model(MINILM).inputOfArrayOfTokens(List.of(101L, 2054L, 102L)).build()));
    assertTrue(ids.getMessage().contains("token ids"), ids.getMessage());

    HttpResponse<String> format = f.post("/v1/embeddings", "{\"input\": \"x\", \"encoding_format\": \"int8\"}", TOKEN);
    JsonNode error = ServerFixture.json(format).get("error");
    assertEquals(400, format.statusCode());
    assertEquals("invalid_request_error", error.get("type").asText());
    assertEquals("encoding_format", error.get("param").asText());
    HttpResponse<String> many = f.post("/v1/embeddings", "{\"input\": [" + "\"x\",".repeat(256) + "\"x\"]}", TOKEN);
    assertEquals(413, many.statusCode());
    assertTrue(ServerFixture.json(many).get("error").get("message").asText().contains("256"), many.body());
  }

  @Test
  void inputTypeChoosesTheQueryOrDocumentPromptOfAnAsymmetricModel() throws Exception {
    SentenceTransformer bge = TestModels.model(TestModels.BGE);
    Path corpus = tmp.resolve("two.jsonl");
    TestModels.write(corpus, "{\"_id\": \"a\", \"text\": \"alpha\"}\n{\"_id\": \"b\", \"text\": \"beta\"}\n");
    try (ServerFixture g = new ServerFixture(tmp.resolve("bge-index"), ServerConfig.defaults(), null, bge, corpus)) {
      String q = "what is dropout?";
      float[] query = bge.encodeQueries(List.of(q), EncodeOptions.defaults())[0];
      float[] plain = bge.encode(List.of(q), EncodeOptions.defaults()).floats()[0];
      assertTrue(maxAbsDiff(query, plain) > 1e-3, "bge's query prompt changes the vector");
      for (String type : List.of("query", "document")) {
        float[] expected = type.equals("query") ? query : bge.encodeDocuments(List.of(q), EncodeOptions.defaults())[0];
        HttpResponse<String> r = g.post("/v1/embeddings", "{\"input\": \"" + q + "\", \"input_type\": \"" + type + "\"}", null);
        assertEquals(200, r.statusCode(), r.body());
        JsonNode v = ServerFixture.json(r).get("data").get(0).get("embedding");
        float[] got = new float[v.size()];
        for (int d = 0; d < got.length; d++) {
          got[d] = v.get(d).floatValue();
        }
        assertTrue(maxAbsDiff(expected, got) <= 1e-6, type);
      }
    }
  }

  private static double maxAbsDiff(float[] a, List<Float> b) {
    float[] f = new float[b.size()];
    for (int i = 0; i < f.length; i++) {
      f[i] = b.get(i);
    }
    return maxAbsDiff(a, f);
  }

  private static double maxAbsDiff(float[] a, float[] b) {
    assertEquals(a.length, b.length);
    double m = 0;
    for (int i = 0; i < a.length; i++) {
      m = Math.max(m, Math.abs(a[i] - b[i]));
    }
    return m;
  }
}
