package dev.quarry.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.quarry.TestModels;
import dev.quarry.data.Document;
import dev.quarry.encode.EncodeOptions;
import dev.quarry.encode.RuntimeOptions;
import dev.quarry.index.SearchMode;
import dev.quarry.io.Json;
import dev.quarry.model.CrossEncoderFolder;
import dev.quarry.rerank.CrossEncoder;
import dev.quarry.search.Hit;
import dev.quarry.search.Reranker;
import dev.quarry.search.Retriever;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** `serve --rerank`: /search re-scores the first stage with a cross-encoder, its pairs batched across requests. */
@Tag("slow")
class ServerRerankTest {
  private static final String QUESTION = "Why would you add a warm-up phase to the learning rate schedule?";

  @TempDir Path tmp;

  @Test
  void searchRerankesTheFirstStageAsTheLibraryDoesAndSharesBatchesAcrossRequests() throws Exception {
    CrossEncoder ce = CrossEncoder.load(CrossEncoderFolder.read(TestModels.crossEncoder(tmp.resolve("ce"), 1, null), "ce",
        tmp.resolve("cache")), RuntimeOptions.defaults());
    Reranker reranker = new Reranker(ce, 10);
    try (ServerFixture f = new ServerFixture(tmp.resolve("index"), ServerConfig.defaults().withToken(ServerFixture.TOKEN), reranker)) {
      HttpResponse<String> r = f.post("/search", "{\"query\": \"" + QUESTION + "\", \"k\": 3}", null);
      assertEquals(200, r.statusCode(), r.body());
      JsonNode body = Json.reader().readTree(r.body());
      assertEquals("ce", body.get("reranked_by").asText());
      assertEquals(10, body.get("rerank_depth").asInt());
      // The library's answer over the same first stage.
      Retriever retriever = f.index.retriever(SearchMode.DENSE);
      float[] q = ServerFixture.model().encodeQueries(List.of(QUESTION), EncodeOptions.defaults())[0];
      List<Hit> first = retriever.search(QUESTION, q, 10);
      List<Hit> want = reranker.rerank(QUESTION, first, id -> {
        Document d = retriever.document(id);
        return d.fullText();
      });
      JsonNode hits = body.get("hits");
      assertEquals(3, hits.size());
      for (int i = 0; i < 3; i++) {
        assertEquals(want.get(i).id(), hits.get(i).get("id").asText(), "rank " + (i + 1));
        assertEquals(want.get(i).score(), hits.get(i).get("score").floatValue(), 1e-6);
        int was = hits.get(i).get("first_stage_rank").asInt();
        assertEquals(first.get(was - 1).id(), hits.get(i).get("id").asText());
        assertEquals(first.get(was - 1).score(), hits.get(i).get("first_stage_score").floatValue(), 1e-6);
      }
      JsonNode plain = Json.reader().readTree(f.post("/search", "{\"query\": \"" + QUESTION + "\", \"rerank\": false}", null).body());
      assertFalse(plain.has("reranked_by"));
      assertFalse(plain.get("hits").get(0).has("first_stage_score"));
      assertEquals(400, f.post("/search", "{\"query\": \"x\", \"rerank_depth\": 0}", null).statusCode());
      assertEquals(400, f.post("/search", "{\"query\": \"x\", \"rerank\": \"yes\"}", null).statusCode());
      assertTrue(f.get("/health").body().contains("\"reranker\":\"ce\""), f.get("/health").body());

      // Eight searches at once: their pairs fill shared batches, larger than one search's ten.
      ExecutorService pool = Executors.newFixedThreadPool(8);
      try {
        List<Future<HttpResponse<String>>> all = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
          String question = "question " + i + " about dropout, warm-up and weight decay";
          all.add(pool.submit(() -> f.post("/search", "{\"query\": \"" + question + "\"}", null)));
        }
        for (Future<HttpResponse<String>> each : all) {
          assertEquals(200, each.get().statusCode(), each.get().body());
        }
      } finally {
        pool.shutdownNow();
      }
      String metrics = f.get("/metrics").body();
      long maxBatch = metrics.lines().filter(l -> l.startsWith("quarry_rerank_batch_size_max ")).mapToLong(l -> Long.parseLong(l.split(" ")[1]))
          .findFirst().orElseThrow();
      assertTrue(maxBatch > 10, "pairs of concurrent searches never shared a batch: largest " + maxBatch + "\n" + metrics);

      // serve --rerank-fusion rrf: the hits are the library's fused ranking, and the answer says so.
      Reranker fusing = reranker.withFusion(Reranker.Fusion.RRF);
      try (ServerFixture fused = new ServerFixture(tmp.resolve("index3"), ServerConfig.defaults().withToken(ServerFixture.TOKEN), fusing)) {
        Retriever own = fused.index.retriever(SearchMode.DENSE);
        List<Hit> fusedWant = fusing.rerank(QUESTION, own.search(QUESTION, q, 10), id -> own.document(id).fullText());
        JsonNode fb = Json.reader().readTree(fused.post("/search", "{\"query\": \"" + QUESTION + "\", \"k\": 3}", null).body());
        assertEquals("rrf", fb.get("rerank_fusion").asText());
        for (int i = 0; i < 3; i++) {
          assertEquals(fusedWant.get(i).id(), fb.get("hits").get(i).get("id").asText(), "fused rank " + (i + 1));
          assertEquals(fusedWant.get(i).score(), fb.get("hits").get(i).get("score").floatValue(), 1e-6);
        }
      }
      assertFalse(body.has("rerank_fusion"), "a plain reranker's answer names no fusion");
    } finally {
      ce.close();
    }
    try (ServerFixture plainServer = new ServerFixture(tmp.resolve("index2"))) {
      HttpResponse<String> refused = plainServer.post("/search", "{\"query\": \"x\", \"rerank\": true}", null);
      assertEquals(400, refused.statusCode());
      assertTrue(refused.body().contains("--rerank"), refused.body());
    }
  }
}
