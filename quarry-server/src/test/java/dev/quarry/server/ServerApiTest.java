package dev.quarry.server;

import static dev.quarry.server.ServerFixture.TOKEN;
import static dev.quarry.server.ServerFixture.json;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.quarry.index.CorpusIndexer;
import dev.quarry.index.IndexSettings;
import dev.quarry.index.lucene.LuceneIndex;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The HTTP API over a real model and a real index. */
@Tag("slow") // real models at size, servers, fine-tunes: left out of the fast tier (-Pfast)
class ServerApiTest {
  @TempDir Path tmp;
  ServerFixture f;

  @BeforeEach
  void start() {
    f = new ServerFixture(tmp.resolve("index"));
  }

  @AfterEach
  void stop() {
    f.close();
  }

  @Test
  void searchReturnsTheAnsweringPassageWithScoresAndHighlights() throws Exception {
    for (String mode : List.of("dense", "exact", "bm25", "hybrid")) {
      HttpResponse<String> r = f.post("/search", "{\"query\": \"Which variant of Adam applies weight decay directly to the weights?\", \"k\": 3, \"mode\": \"" + mode + "\"}", null);
      assertEquals(200, r.statusCode(), r.body());
      JsonNode hits = json(r).get("hits");
      assertEquals(3, hits.size());
      assertEquals("adamw", hits.get(0).get("id").asText(), mode + ": " + r.body());
      JsonNode h = hits.get(0);
      String text = h.get("text").asText();
      java.util.Set<String> marked = new java.util.HashSet<>();
      for (JsonNode span : h.get("highlights")) {
        marked.add(text.substring(span.get(0).asInt(), span.get(1).asInt()).toLowerCase());
      }
      assertTrue(marked.containsAll(List.of("weight", "decay", "variant")), mode + ": " + marked);
      assertTrue(!marked.contains("is") && !marked.contains("of"), "stop words are not marked: " + marked);
    }
  }

  @Test
  void limitsAreAnsweredWith4xxAndAClearMessage() throws Exception {
    assertError(f.post("/search", "{\"query\": \"x\", \"k\": 1000}", null), 400, "k must be between 1 and 100");
    assertError(f.post("/search", "{\"query\": \"" + "a".repeat(10_001) + "\"}", null), 400, "limit is 10000");
    assertError(f.post("/search", "{\"query\": ", null), 400, "malformed JSON");
    assertError(f.post("/search", "{\"k\": 3}", null), 400, "'query'");
    assertError(f.post("/search", "{\"query\": \"x\", \"mode\": \"psychic\"}", null), 400, "Unknown search mode");
    assertError(f.post("/encode", "{\"texts\": [\"" + "b".repeat(1 << 20) + "\"]}", null), 413, "exceeds the limit");
    assertError(f.get("/search"), 405, "POST");
    assertError(f.get("/nope"), 404, "no such page");
  }

  @Test
  void writesNeedTheBearerToken() throws Exception {
    String doc = "{\"documents\": [{\"id\": \"new\", \"title\": \"T\", \"text\": \"x\"}]}";
    assertError(f.post("/documents", doc, null), 401, "Bearer");
    assertError(f.post("/documents", doc, "wrong"), 401, "Bearer");
    assertEquals(200, f.post("/documents", doc, TOKEN).statusCode());
    assertError(f.delete("/documents/new", null), 401, "Bearer");
  }

  @Test
  void addedDocumentsAreSearchableAndDeletedOnesGone() throws Exception {
    String doc = "{\"documents\": [{\"id\": \"quarry-bees\", \"title\": \"Honey bees\", \"text\": \"Honey bees dance to tell the hive where flowers are.\"}]}";
    HttpResponse<String> added = f.post("/documents", doc, TOKEN);
    assertEquals(200, added.statusCode(), added.body());
    assertEquals(184, json(added).get("documents").asInt());
    JsonNode hits = json(f.post("/search", "{\"query\": \"how do bees communicate the location of flowers\", \"k\": 1}", null)).get("hits");
    assertEquals("quarry-bees", hits.get(0).get("id").asText());
    assertEquals(200, f.delete("/documents/quarry-bees", TOKEN).statusCode());
    hits = json(f.post("/search", "{\"query\": \"how do bees communicate the location of flowers\", \"k\": 1}", null)).get("hits");
    assertTrue(!hits.get(0).get("id").asText().equals("quarry-bees"));
  }

  @Test
  void aQueryVectorSearchesLikeItsText() throws Exception {
    String q = "Which variant of Adam applies weight decay directly to the weights?";
    JsonNode vector = json(f.post("/encode", "{\"texts\": [\"" + q + "\"]}", null)).get("embeddings").get(0); // MiniLM: no query prompt
    JsonNode byText = json(f.post("/search", "{\"query\": \"" + q + "\", \"k\": 3}", null)).get("hits");
    HttpResponse<String> r = f.post("/search", "{\"vector\": " + vector + ", \"k\": 3}", null);
    assertEquals(200, r.statusCode(), r.body());
    JsonNode byVector = json(r).get("hits");
    for (int i = 0; i < 3; i++) {
      assertEquals(byText.get(i).get("id").asText(), byVector.get(i).get("id").asText());
      assertEquals(byText.get(i).get("score").asDouble(), byVector.get(i).get("score").asDouble(), 1e-6);
    }
    assertError(f.post("/search", "{\"vector\": [0.1, 0.2], \"k\": 3}", null), 400, "array of 384 numbers");
    assertError(f.post("/search", "{\"vector\": " + vector + ", \"mode\": \"bm25\"}", null), 400, "reads the query text");
  }

  @Test
  void encodeHealthAndMetrics() throws Exception {
    HttpResponse<String> r = f.post("/encode", "{\"texts\": [\"a\", \"b\"]}", null);
    assertEquals(200, r.statusCode(), r.body());
    assertEquals(384, json(r).get("embeddings").get(1).size());
    JsonNode health = json(f.get("/health"));
    assertEquals("ok", health.get("status").asText());
    assertEquals(183, health.get("documents").asInt());
    f.post("/search", "{\"query\": \"dropout\"}", null);
    String metrics = f.get("/metrics").body();
    assertTrue(metrics.contains("quarry_requests_total{route=\"search\",status=\"200\"}"), metrics);
    assertTrue(metrics.contains("quarry_request_seconds{route=\"search\",quantile=\"0.99\"}"), metrics);
  }

  @Test
  void concurrentQueriesShareMicroBatches() throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(16);
    try {
      List<Future<HttpResponse<String>>> fs = new ArrayList<>();
      for (int i = 0; i < 64; i++) {
        String q = "{\"query\": \"question number " + i + " about attention heads\"}";
        fs.add(pool.submit(() -> f.post("/search", q, null)));
      }
      for (Future<HttpResponse<String>> x : fs) {
        assertEquals(200, x.get().statusCode());
      }
    } finally {
      pool.shutdownNow();
    }
    String metrics = f.get("/metrics").body();
    long max = Long.parseLong(metrics.lines().filter(l -> l.startsWith("quarry_encode_batch_size_max")).findFirst().orElseThrow().split(" ")[1]);
    // A smoke check through HTTP (timing decides how many meet in a batch); the deterministic proof
    // is MicroBatcherTest.queriesThatWaitTogetherAreEncodedInOneBatch.
    assertTrue(max > 1, "16 concurrent clients should be encoded together at least once: " + metrics);
  }

  @Test
  void acknowledgedWritesSurviveShutdown() throws Exception {
    for (int i = 0; i < 5; i++) {
      String doc = "{\"documents\": [{\"id\": \"w" + i + "\", \"text\": \"written before shutdown " + i + "\"}]}";
      assertEquals(200, f.post("/documents", doc, TOKEN).statusCode());
    }
    f.close();
    try (LuceneIndex reopened = LuceneIndex.open(f.indexDir, CorpusIndexer.metadataOf(ServerFixture.model()), IndexSettings.defaults())) {
      assertEquals(188, reopened.size());
      assertEquals("written before shutdown 4", reopened.document("w4").text());
    }
  }

  static void assertError(HttpResponse<String> r, int status, String part) throws Exception {
    assertEquals(status, r.statusCode(), r.body());
    String msg = json(r).get("error").asText();
    assertTrue(msg.contains(part), "error lacks '" + part + "': " + msg);
  }
}
