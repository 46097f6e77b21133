package dev.quarry.server;

import static dev.quarry.server.ServerApiTest.assertError;
import static dev.quarry.server.ServerFixture.TOKEN;
import static dev.quarry.server.ServerFixture.json;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Faults injected into a running server: stalled clients, overload, a dead index writer, and a
 * shutdown while a request computes. The JDK server's request time limit is 2 s in these tests
 * (see this module's pom).
 */
@Tag("slow") // real models at size, servers, fine-tunes: left out of the fast tier (-Pfast)
class ServerFaultTest {
  @TempDir Path tmp;

  @Test
  void clientsThatStallMidRequestDoNotFreezeHealth() throws Exception {
    try (ServerFixture f = new ServerFixture(tmp.resolve("index"))) {
      List<Socket> stalled = new ArrayList<>();
      try {
        // More stalled clients than worker threads: half headers, or a body that never comes.
        for (int i = 0; i < 80; i++) {
          Socket s = new Socket("127.0.0.1", f.server.port());
          OutputStream out = s.getOutputStream();
          out.write((i % 2 == 0 ? "GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n"
              : "POST /search HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"qu")
              .getBytes(StandardCharsets.US_ASCII));
          out.flush();
          stalled.add(s);
        }
        HttpRequest health = HttpRequest.newBuilder(URI.create(f.server.url() + "health")).timeout(Duration.ofSeconds(20)).build();
        HttpResponse<String> r = f.http.send(health, HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode(), r.body());
        int closed = 0;
        for (Socket s : stalled) {
          closed += RawHttp.closedWithin(s, 10_000) ? 1 : 0;
        }
        assertEquals(stalled.size(), closed, "the server closes connections that exceed the request time limit");
      } finally {
        for (Socket s : stalled) {
          s.close();
        }
      }
    }
  }

  @Test
  void connectionsBeyondTheLimitAreClosedAtOnce() throws Exception {
    try (ServerFixture f = new ServerFixture(tmp.resolve("index"))) {
      int limit = Integer.getInteger("jdk.httpserver.maxConnections");
      List<Socket> idle = new ArrayList<>();
      try {
        for (int i = 0; i < limit + 20; i++) {
          idle.add(new Socket("127.0.0.1", f.server.port()));
        }
        int closed = 0;
        for (Socket s : idle) {
          closed += RawHttp.closedWithin(s, 20) ? 1 : 0;
        }
        assertTrue(closed >= 20 && closed < idle.size(), closed + " of " + idle.size() + " connections closed at once; limit " + limit);
      } finally {
        for (Socket s : idle) {
          s.close();
        }
      }
      HttpRequest health = HttpRequest.newBuilder(URI.create(f.server.url() + "health")).timeout(Duration.ofSeconds(20)).build();
      assertEquals(200, f.http.send(health, HttpResponse.BodyHandlers.ofString()).statusCode());
    }
  }

  @Test
  void overloadIsAnswered503WithRetryAfterWhileHealthStillAnswers() throws Exception {
    ServerConfig config = ServerConfig.defaults().withToken(TOKEN)
        .withLimits(ServerConfig.Limits.defaults().withAdmission(1, 512, 30_000));
    try (ServerFixture f = new ServerFixture(tmp.resolve("index"), config)) {
      // One admitted request that holds the only permit while it computes (a slow client would not:
      // its body is read before admission).
      HttpRequest encode = HttpRequest.newBuilder(URI.create(f.server.url() + "encode"))
          .POST(HttpRequest.BodyPublishers.ofString(ServerUnderLoadTest.encodeBody(0))).header("Content-Type", "application/json")
          .build();
      CompletableFuture<HttpResponse<String>> busy = f.http.sendAsync(encode, HttpResponse.BodyHandlers.ofString());
      long deadline = System.nanoTime() + 10_000_000_000L;
      while (f.server.admissionsAvailable() > 0 && System.nanoTime() < deadline) {
        Thread.sleep(5);
      }
      assertEquals(0, f.server.admissionsAvailable());
      HttpResponse<String> refused = f.post("/search", "{\"query\": \"overloaded?\"}", null);
      assertError(refused, 503, "limit of 1 requests at once");
      assertEquals("1", refused.headers().firstValue("Retry-After").orElse(""));
      // The compatibility APIs go through the same admission, each answering in its own shape. An
      // embedding request meets the work admission first: the admitted /encode is a backlog.
      HttpResponse<String> openAi = f.post("/v1/embeddings", "{\"input\": \"overloaded?\"}", TOKEN);
      assertEquals(503, openAi.statusCode(), openAi.body());
      String message = ServerFixture.json(openAi).get("error").get("message").asText();
      assertTrue(message.contains("limit of 1 requests at once") || message.contains("busy embedding"), message);
      assertTrue(openAi.headers().firstValue("Retry-After").isPresent());
      HttpResponse<String> tei = f.post("/embed", "{\"inputs\": \"overloaded?\"}", TOKEN);
      assertEquals(503, tei.statusCode(), tei.body());
      assertEquals("Overloaded", ServerFixture.json(tei).get("error_type").asText());
      assertEquals(503, f.post("/v1/rerank", "{\"query\": \"q\", \"documents\": [\"d\"]}", TOKEN).statusCode());
      assertEquals(200, f.get("/health").statusCode(), "health is not subject to admission");
      // Once the admitted request is answered, the permit is back.
      assertEquals(200, busy.join().statusCode());
      deadline = System.nanoTime() + 10_000_000_000L;
      while (f.server.admissionsAvailable() == 0 && System.nanoTime() < deadline) {
        Thread.sleep(5);
      }
      assertEquals(200, f.post("/search", "{\"query\": \"served again\"}", null).statusCode());
    }
  }

  @Test
  void aClientThatSendsItsBodySlowlyHoldsNoAdmissionPermit() throws Exception {
    ServerConfig config = ServerConfig.defaults().withToken(TOKEN)
        .withLimits(ServerConfig.Limits.defaults().withAdmission(1, 512, 30_000));
    try (ServerFixture f = new ServerFixture(tmp.resolve("index"), config);
        Socket slow = new Socket("127.0.0.1", f.server.port())) {
      slow.getOutputStream().write(("POST /encode HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
          + "Content-Length: 100\r\n\r\n{\"te").getBytes(StandardCharsets.US_ASCII));
      slow.getOutputStream().flush();
      long deadline = System.nanoTime() + 10_000_000_000L;
      while (f.server.requestsInFlight() == 0 && System.nanoTime() < deadline) {
        Thread.sleep(5);
      }
      assertEquals(1, f.server.requestsInFlight(), "the stalled request should be with a handler");
      assertEquals(1, f.server.admissionsAvailable(), "a request still sending its body holds no permit");
      assertEquals(200, f.post("/search", "{\"query\": \"served beside a slow client\"}", null).statusCode());
    }
  }

  @Test
  void anEncodePastItsDeadlineIsDroppedBetweenChunks() throws Exception {
    ServerConfig config = ServerConfig.defaults().withToken(TOKEN)
        .withLimits(ServerConfig.Limits.defaults().withAdmission(64, 512, 1_500));
    try (ServerFixture f = new ServerFixture(tmp.resolve("index"), config)) {
      long t0 = System.nanoTime();
      HttpResponse<String> r = f.post("/encode", ServerUnderLoadTest.encodeBody(0), null);
      double seconds = (System.nanoTime() - t0) / 1e9;
      assertError(r, 503, "longer than 1500 ms");
      assertTrue(seconds < 1.5 + 5, "answered after " + seconds + " s");
      Thread.sleep(6_000); // long enough for several more chunks, had they run
      long encoded = f.server.textsEmbedded();
      assertTrue(encoded > 0 && encoded <= 2 * EmbeddingService.CHUNK_TEXTS,
          encoded + " texts encoded: the request should be dropped at the first chunk boundary past its deadline");
    }
  }

  @Test
  void anEncodeWhoseClientLeavesIsDroppedAtTheNextChunk() throws Exception {
    try (ServerFixture f = new ServerFixture(tmp.resolve("index"))) {
      dev.quarry.TestRequirements.require(new ClientWatch().available(), "closed connections are noticed on Linux (/proc/net/tcp) only");
      byte[] body = ServerUnderLoadTest.encodeBody(0).getBytes(StandardCharsets.UTF_8);
      long atClose;
      try (Socket client = new Socket("127.0.0.1", f.server.port())) {
        client.getOutputStream().write(("POST /encode HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: "
            + body.length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        client.getOutputStream().write(body);
        client.getOutputStream().flush();
        long deadline = System.nanoTime() + 20_000_000_000L;
        while (f.server.textsEmbedded() == 0 && System.nanoTime() < deadline) {
          Thread.sleep(5);
        }
        atClose = f.server.textsEmbedded();
        assertTrue(atClose > 0 && atClose < 256, "the request should be part-way: " + atClose + " texts encoded");
      } // the client leaves, 30 s before its deadline
      long deadline = System.nanoTime() + 10_000_000_000L;
      while (f.server.requestsInFlight() > 0 && System.nanoTime() < deadline) {
        Thread.sleep(10);
      }
      assertEquals(0, f.server.requestsInFlight(), "the handler still works for a client that left");
      long encoded = f.server.textsEmbedded();
      Thread.sleep(3_000);
      assertEquals(encoded, f.server.textsEmbedded(), "encoding went on after the client left");
      assertTrue(encoded - atClose <= EmbeddingService.CHUNK_TEXTS, (encoded - atClose) + " texts encoded after the client left:"
          + " at most the chunk under way should be");
    }
  }

  @Test
  void anEnvironmentFaultReachesTheClientAs500WithoutItsMessage() throws Exception {
    try (ServerFixture f = new ServerFixture(tmp.resolve("index"))) {
      f.index.close(); // reads now fail inside Lucene, with messages that name the index's path
      for (String mode : List.of("dense", "bm25", "hybrid")) {
        HttpResponse<String> r = f.post("/search", "{\"query\": \"dropout\", \"mode\": \"" + mode + "\"}", null);
        assertEquals(500, r.statusCode(), mode + ": " + r.body());
        String error = json(r).get("error").asText();
        assertTrue(error.contains("reference"), error);
        assertFalse(error.contains(tmp.toString()) || error.contains("index") || error.contains("Exception"), error);
      }
    }
  }

  /**
   * An index without cross-shard transactions (SolrCloud), whose write fails after one of two
   * documents landed: the client is told to retry, and the retry converges. (SolrFaultTest shows
   * the same convergence against a real SolrCloud whose shard leader is killed.)
   */
  @Test
  void aPartlyAppliedWriteIsAnswered503WithRetryAndTheRetryConverges() throws Exception {
    dev.quarry.index.lucene.LuceneIndex lucene = dev.quarry.index.CorpusIndexer.openSynced(dev.quarry.index.lucene.LuceneIndex.at(tmp.resolve("index")), ServerFixture.model(),
        Path.of("..", "datasets", "ai-qa", "corpus.jsonl"), dev.quarry.index.IndexSettings.defaults());
    java.util.concurrent.atomic.AtomicBoolean failNext = new java.util.concurrent.atomic.AtomicBoolean(true);
    dev.quarry.index.PassageIndex shards = (dev.quarry.index.PassageIndex) java.lang.reflect.Proxy.newProxyInstance(
        getClass().getClassLoader(), new Class<?>[] {dev.quarry.index.PassageIndex.class}, (proxy, method, args) -> {
          if (method.getName().equals("allOrNothing")) {
            return false;
          }
          if (method.getName().equals("replaceAtomically") && failNext.getAndSet(false)) {
            @SuppressWarnings("unchecked")
            List<dev.quarry.data.Document> docs = (List<dev.quarry.data.Document>) args[0];
            float[][] vectors = (float[][]) args[1];
            lucene.replaceAtomically(docs.subList(0, 1), java.util.Arrays.copyOf(vectors, 1)); // one shard took its part
            throw new dev.quarry.QuarryFailure("shard2: connection refused", new java.io.IOException("Connection refused"));
          }
          try {
            return method.invoke(lucene, args);
          } catch (java.lang.reflect.InvocationTargetException e) {
            throw e.getCause();
          }
        });
    long before = lucene.size();
    QuarryServer server = QuarryServer.start(ServerFixture.model(), shards, ServerConfig.defaults().withToken(TOKEN).withPort(0));
    try {
      java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient();
      HttpRequest write = HttpRequest.newBuilder(URI.create(server.url() + "documents")).header("Content-Type", "application/json")
          .header("Authorization", "Bearer " + TOKEN).POST(HttpRequest.BodyPublishers.ofString("{\"documents\": ["
              + "{\"id\": \"part-a\", \"text\": \"first half\"}, {\"id\": \"part-b\", \"text\": \"second half\"}]}")).build();
      HttpResponse<String> failed = http.send(write, HttpResponse.BodyHandlers.ofString());
      assertError(failed, 503, "idempotent by id: send the same request again");
      assertEquals("1", failed.headers().firstValue("Retry-After").orElse(""));
      assertFalse(failed.body().contains("connection refused"), "no internals: " + failed.body());
      lucene.refresh();
      assertTrue(lucene.document("part-a") != null && lucene.document("part-b") == null, "the fault should have left a partial write");
      HttpResponse<String> retried = http.send(write, HttpResponse.BodyHandlers.ofString());
      assertEquals(200, retried.statusCode(), retried.body());
      assertFalse(json(retried).get("all_or_nothing").asBoolean());
      assertEquals(before + 2, lucene.size(), "the retry converged: each document once");
    } finally {
      server.stop();
    }
  }

  @Test
  void aDeadIndexWriterMakesHealthFailAndWritesGet500WithoutInternals() throws Exception {
    try (ServerFixture f = new ServerFixture(tmp.resolve("index"))) {
      assertEquals(200, f.get("/health").statusCode());
      f.index.close(); // what a fatal writer error leaves: a closed IndexWriter
      HttpResponse<String> health = f.get("/health");
      assertEquals(503, health.statusCode(), health.body());
      JsonNode h = json(health);
      assertEquals("failed", h.get("status").asText());
      assertTrue(h.get("problems").toString().contains("writer"), health.body());
      HttpResponse<String> write = f.post("/documents", "{\"documents\": [{\"id\": \"x\", \"text\": \"y\"}]}", TOKEN);
      assertEquals(500, write.statusCode(), write.body());
      String error = json(write).get("error").asText();
      assertTrue(error.contains("reference"), error);
      assertFalse(error.contains(tmp.toString()) || error.contains("Exception") || error.contains("\tat "), error);
    }
  }

  @Test
  void shutdownWaitsForARequestStillComputing() throws Exception {
    ServerConfig config = ServerConfig.defaults().withToken(TOKEN).withShutdownGraceSeconds(0);
    try (ServerFixture f = new ServerFixture(tmp.resolve("index"), config)) {
      StringBuilder body = new StringBuilder("{\"texts\": [");
      for (int i = 0; i < 256; i++) {
        body.append(i == 0 ? "" : ",").append('"').append(("passage " + i + " about attention heads and dropout. ").repeat(15)).append('"');
      }
      HttpRequest encode = HttpRequest.newBuilder(URI.create(f.server.url() + "encode"))
          .POST(HttpRequest.BodyPublishers.ofString(body.append("]}").toString())).header("Content-Type", "application/json").build();
      CompletableFuture<HttpResponse<String>> answer = f.http.sendAsync(encode, HttpResponse.BodyHandlers.ofString());
      long deadline = System.nanoTime() + 10_000_000_000L;
      while (f.server.requestsInFlight() == 0 && System.nanoTime() < deadline) {
        Thread.sleep(5);
      }
      Thread.sleep(500); // the body is read: the handler is encoding now (256 passages take seconds)
      assertEquals(1, f.server.requestsInFlight(), "the encode request should still be computing");
      f.server.stop();
      assertEquals(0, f.server.requestsInFlight(), "stop() returned while a handler could still use the model and index");
      long encoded = f.server.textsEmbedded();
      assertTrue(encoded < 256, "the request was encoded whole (" + encoded + " texts): stop() should drop it after its chunk");
      answer.handle((r, e) -> null).join();
    }
  }
}
