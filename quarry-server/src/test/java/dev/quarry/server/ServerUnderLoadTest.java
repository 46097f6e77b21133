package dev.quarry.server;

import static dev.quarry.server.ServerFixture.TOKEN;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Overload, stalled clients and shutdown under a backlog, against the limits a user's {@code quarry
 * serve} runs with: {@link ServerConfig#defaults()} and the JDK connection limits of {@link
 * ConnectionLimits} (this class runs in a surefire execution of its own, with no limit shortened).
 * Each test prints the figures it asserts on; the README's Reliability table quotes them.
 */
@Tag("slow")
class ServerUnderLoadTest {
  @TempDir Path tmp;

  /** 256 texts of about 700 characters: the load, about ten seconds of encoding here. */
  static String encodeBody(int seed) {
    StringBuilder body = new StringBuilder("{\"texts\": [");
    for (int i = 0; i < 256; i++) {
      String sentence = "Passage " + seed + "-" + i + " compares attention heads, dropout and layer normalisation in encoders. ";
      body.append(i == 0 ? "" : ",").append('"').append(sentence.repeat(Math.max(1, 700 / sentence.length()))).append('"');
    }
    return body.append("]}").toString();
  }

  @Test
  void overloadIsRefusedAtOnceWhileAdmittedWorkSucceedsAndHealthAnswers() throws Exception {
    try (ServerFixture f = new ServerFixture(tmp.resolve("index"), ServerConfig.defaults().withToken(TOKEN))) {
      assertEquals("1024", System.getProperty("jdk.httpserver.maxConnections"), "this test runs with the production connection limits");
      HttpClient clients = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
      List<CompletableFuture<HttpResponse<String>>> answers = new ArrayList<>();
      List<Long> started = new ArrayList<>();
      long[] answeredNanos = new long[300];
      AtomicBoolean done = new AtomicBoolean();
      List<Long> health = new ArrayList<>();
      List<Integer> healthStatus = new ArrayList<>();
      CountDownLatch pollerWarm = new CountDownLatch(1);
      Thread poller = new Thread(() -> {
        HttpClient own = HttpClient.newHttpClient();
        HttpRequest get = HttpRequest.newBuilder(URI.create(f.server.url() + "health")).timeout(Duration.ofSeconds(10)).build();
        // The poller's own first requests load and compile java.net.http in this JVM (200-1,200 ms
        // measured for the first one, against a quiet server too): that is the client's start, not
        // the server's answer, so they come before the burst and are not counted.
        for (int i = 0; i < 20; i++) {
          try {
            assertEquals(200, own.send(get, HttpResponse.BodyHandlers.discarding()).statusCode());
            Thread.sleep(50);
          } catch (IOException | InterruptedException e) {
            throw new IllegalStateException("/health before the burst", e);
          }
        }
        pollerWarm.countDown();
        while (!done.get()) {
          long t0 = System.nanoTime();
          try {
            int status = own.send(get, HttpResponse.BodyHandlers.ofString()).statusCode();
            health.add(System.nanoTime() - t0);
            healthStatus.add(status);
            Thread.sleep(50);
          } catch (IOException e) {
            health.add(Long.MAX_VALUE);
            healthStatus.add(-1);
          } catch (InterruptedException e) {
            return;
          }
        }
      });
      poller.start();
      assertTrue(pollerWarm.await(60, TimeUnit.SECONDS), "the /health poller did not start");
      for (int i = 0; i < 300; i++) {
        HttpRequest r = HttpRequest.newBuilder(URI.create(f.server.url() + "encode")).timeout(Duration.ofSeconds(120))
            .POST(HttpRequest.BodyPublishers.ofString(encodeBody(i))).header("Content-Type", "application/json").build();
        int n = i;
        started.add(System.nanoTime());
        answers.add(clients.sendAsync(r, HttpResponse.BodyHandlers.ofString()).whenComplete((x, e) -> answeredNanos[n] = System.nanoTime()));
      }
      int ok = 0;
      int refused = 0;
      int failed = 0;
      long slowestRefusalNanos = 0;
      for (int i = 0; i < answers.size(); i++) {
        try {
          HttpResponse<String> r = answers.get(i).join();
          if (r.statusCode() == 200) {
            ok++;
            assertEquals(256, ServerFixture.json(r).get("embeddings").size());
          } else {
            assertEquals(503, r.statusCode(), r.body());
            assertTrue(r.headers().firstValue("Retry-After").isPresent(), "503 without Retry-After");
            refused++;
            slowestRefusalNanos = Math.max(slowestRefusalNanos, answeredNanos[i] - started.get(i));
          }
        } catch (RuntimeException e) { // a reset or disconnect
          failed++;
          System.err.println("request " + i + " failed: " + e);
        }
      }
      done.set(true);
      poller.join();
      long[] h = health.stream().mapToLong(Long::longValue).sorted().toArray();
      double p50 = h[h.length / 2] / 1e6;
      double p99 = h[(int) Math.ceil(h.length * 0.99) - 1] / 1e6;
      System.out.printf(Locale.ROOT, "300 concurrent /encode of 256 texts: %d answered 200, %d answered 503 (slowest refusal %.0f ms),"
          + " %d failed; /health: %d polls, p50 %.1f ms, p99 %.1f ms, max %.1f ms%n", ok, refused, slowestRefusalNanos / 1e6, failed,
          h.length, p50, p99, h[h.length - 1] / 1e6);
      assertEquals(0, failed, "connection resets or disconnects");
      assertTrue(ok >= 1, "no request was admitted");
      assertTrue(refused >= 1, "nothing was refused: the test did not overload the server");
      assertTrue(healthStatus.stream().allMatch(s -> s == 200), "health answered " + healthStatus);
      // Queued behind the admitted encode, /health would wait for all of it (256 long texts: seconds
      // here). 100 ms failed 1 fresh-clone run in about a dozen (112.6 ms, 2026-12-03): these 2 cores
      // also carry the 300 clients' uploads and the poller, so the bound leaves room for that.
      assertTrue(p99 < 250, "/health p99 " + p99 + " ms under load");
    }
  }

  @Test
  void stalledClientsDelayNeitherHealthNorSearches() throws Exception {
    try (ServerFixture f = new ServerFixture(tmp.resolve("index"), ServerConfig.defaults().withToken(TOKEN))) {
      for (int i = 0; i < 20; i++) { // warm-up
        assertEquals(200, f.post("/search", "{\"query\": \"warm up " + i + "\"}", null).statusCode());
      }
      double quietSearch = p99(searches(f, 100));
      double quietHealth = p99(healths(f, 100));
      List<Socket> stalled = new ArrayList<>();
      try {
        for (int i = 0; i < 300; i++) {
          Socket s = new Socket("127.0.0.1", f.server.port());
          OutputStream out = s.getOutputStream();
          // Headers and one byte of body, then nothing: each holds a connection for the request time limit (20 s).
          out.write(((i % 2 == 0 ? "POST /search" : "POST /encode") + " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
              + "Content-Length: 100\r\n\r\n{").getBytes(StandardCharsets.US_ASCII));
          out.flush();
          stalled.add(s);
        }
        Thread.sleep(500); // every stalled request is now with a handler, blocked on its body
        double loadedHealth = p99(healths(f, 100));
        double loadedSearch = p99(searches(f, 100));
        System.out.printf(Locale.ROOT, "300 stalled clients: /health p99 %.1f ms (quiet %.1f ms), /search p99 %.1f ms (quiet %.1f ms)%n",
            loadedHealth, quietHealth, loadedSearch, quietSearch);
        assertTrue(loadedHealth < 100, "/health p99 " + loadedHealth + " ms with 300 stalled clients");
        assertTrue(loadedSearch <= 2 * quietSearch, "/search p99 " + loadedSearch + " ms with 300 stalled clients, quiet " + quietSearch);
        int open = 0;
        for (Socket s : stalled) {
          open += s.isClosed() ? 0 : 1;
        }
        assertEquals(300, open, "the stalled connections were still open while measuring");
      } finally {
        for (Socket s : stalled) {
          s.close();
        }
      }
    }
  }

  @Test
  void shutdownUnderABacklogOfAbandonedRequestsEndsWithinTheGracePeriod() throws Exception {
    ServerConfig config = ServerConfig.defaults().withToken(TOKEN);
    try (ServerFixture f = new ServerFixture(tmp.resolve("index"), config)) {
      // Clients that send a long /encode and go away without reading the answer.
      for (int i = 0; i < 20; i++) {
        try (Socket s = new Socket("127.0.0.1", f.server.port())) {
          byte[] body = encodeBody(i).getBytes(StandardCharsets.UTF_8);
          s.getOutputStream().write(("POST /encode HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: "
              + body.length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
          s.getOutputStream().write(body);
          s.getOutputStream().flush();
        }
      }
      long deadline = System.nanoTime() + 20_000_000_000L;
      while (f.server.textsEmbedded() == 0 && System.nanoTime() < deadline) {
        Thread.sleep(10);
      }
      assertTrue(f.server.textsEmbedded() > 0, "the admitted request never started encoding");
      long t0 = System.nanoTime();
      f.server.stop();
      double seconds = (System.nanoTime() - t0) / 1e9;
      long encoded = f.server.textsEmbedded();
      Thread.sleep(3_000);
      System.out.printf(Locale.ROOT, "stop() under a backlog of 20 abandoned /encode requests: %.1f s (grace %d s); %d texts encoded%n",
          seconds, config.shutdownGraceSeconds(), encoded);
      assertTrue(seconds < config.shutdownGraceSeconds() + 5, "stop() took " + seconds + " s");
      assertEquals(0, f.server.requestsInFlight());
      assertEquals(encoded, f.server.textsEmbedded(), "encoding went on after stop() returned");
    }
  }

  private static long[] searches(ServerFixture f, int n) throws Exception {
    long[] out = new long[n];
    for (int i = 0; i < n; i++) {
      long t0 = System.nanoTime();
      HttpResponse<String> r = f.post("/search", "{\"query\": \"how does dropout regularise a network " + i + "\"}", null);
      out[i] = System.nanoTime() - t0;
      assertEquals(200, r.statusCode(), r.body());
    }
    return out;
  }

  private static long[] healths(ServerFixture f, int n) throws Exception {
    long[] out = new long[n];
    for (int i = 0; i < n; i++) {
      long t0 = System.nanoTime();
      HttpResponse<String> r = f.get("/health");
      out[i] = System.nanoTime() - t0;
      assertEquals(200, r.statusCode(), r.body());
    }
    return out;
  }

  /** The 99th percentile in milliseconds. */
  private static double p99(long[] nanos) {
    long[] sorted = nanos.clone();
    Arrays.sort(sorted);
    return sorted[(int) Math.ceil(sorted.length * 0.99) - 1] / 1e6;
  }
}
