package dev.quarry.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.quarry.QuarryException;
import dev.quarry.TestModels;
import dev.quarry.encode.RuntimeOptions;
import dev.quarry.encode.SentenceTransformer;
import dev.quarry.io.Json;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The hub loader against a local stand-in for the Hugging Face hub on 127.0.0.1, serving a
 * built-in model's files with the hub's URL scheme, its model-info API and Range support.
 */
@Tag("slow") // real models at size, servers, fine-tunes: left out of the fast tier (-Pfast)
class HubClientTest {
  static final String REPO = "acme/minilm";
  static final String COMMIT = "0123456789abcdef0123456789abcdef01234567";

  @TempDir Path cache;
  HttpServer server;
  Path modelDir;
  final Map<String, byte[]> files = new TreeMap<>();
  final List<String> requests = new CopyOnWriteArrayList<>();
  /** When set, the first onnx download stops half-way, as a dropped connection would. */
  final AtomicBoolean cutNextOnnx = new AtomicBoolean();
  final AtomicBoolean corruptOnnx = new AtomicBoolean();
  /** When set, a resumed onnx download is answered from byte 0 with a 206, as a broken server might. */
  final AtomicBoolean badRangeOnnx = new AtomicBoolean();
  /** When set, the next onnx download sends half its bytes and then stalls until {@link #unstall}. */
  final AtomicBoolean stallNextOnnx = new AtomicBoolean();
  final java.util.concurrent.CountDownLatch unstall = new java.util.concurrent.CountDownLatch(1);
  /** When set, onnx downloads are held until a second one is asked for, or 2 s have passed. */
  final AtomicBoolean holdOnnx = new AtomicBoolean();
  final java.util.concurrent.atomic.AtomicInteger onnxRequests = new java.util.concurrent.atomic.AtomicInteger();
  final List<String> authorizations = new CopyOnWriteArrayList<>();
  /** When set, onnx files are redirected to this base URL (another host: a CDN). */
  volatile String cdn;

  @BeforeEach
  void start() throws IOException {
    modelDir = TestModels.folder(TestModels.MINILM);
    try (Stream<Path> walk = Files.walk(modelDir)) {
      for (Path p : (Iterable<Path>) walk.filter(Files::isRegularFile)::iterator) {
        files.put(modelDir.relativize(p).toString().replace('\\', '/'), Files.readAllBytes(p));
      }
    }
    files.put("pytorch_model.bin", new byte[] {1, 2, 3});
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext("/", this::handle);
    server.setExecutor(java.util.concurrent.Executors.newCachedThreadPool()); // concurrent downloads really overlap
    server.start();
  }

  @AfterEach
  void stop() {
    unstall.countDown();
    server.stop(0);
  }

  String endpoint() {
    return "http://127.0.0.1:" + server.getAddress().getPort();
  }

  void handle(HttpExchange ex) throws IOException {
    String path = ex.getRequestURI().getPath();
    String range = ex.getRequestHeaders().getFirst("Range");
    requests.add(path + (range == null ? "" : " " + range));
    authorizations.add(ex.getLocalAddress().getHostString() + " " + path + " " + ex.getRequestHeaders().getFirst("Authorization"));
    if (path.equals("/api/models/" + REPO + "/revision/main") || path.equals("/api/models/" + REPO + "/revision/" + COMMIT)) {
      send(ex, 200, modelInfo().toString().getBytes(StandardCharsets.UTF_8), 0, -1);
      return;
    }
    String prefix = "/" + REPO + "/resolve/" + COMMIT + "/";
    if (!path.startsWith(prefix) || !files.containsKey(path.substring(prefix.length()))) {
      send(ex, 404, "not found".getBytes(StandardCharsets.UTF_8), 0, -1);
      return;
    }
    String name = path.substring(prefix.length());
    if (name.endsWith(".onnx") && cdn != null && ex.getRequestURI().getQuery() == null) {
      ex.getResponseHeaders().set("Location", cdn + path + "?cdn=1");
      ex.sendResponseHeaders(302, -1);
      ex.close();
      return;
    }
    byte[] body = files.get(name);
    if (name.endsWith(".onnx") && holdOnnx.get()) {
      int n = onnxRequests.incrementAndGet();
      long until = System.nanoTime() + 2_000_000_000L;
      while (n == 1 && onnxRequests.get() == 1 && System.nanoTime() < until) {
        sleep(10);
      }
    }
    if (name.endsWith(".onnx") && corruptOnnx.get()) {
      body = body.clone();
      body[body.length / 2] ^= 1;
    }
    int from = 0;
    if (range != null) {
      from = Integer.parseInt(range.replace("bytes=", "").replace("-", ""));
    }
    int cutAt = name.endsWith(".onnx") && cutNextOnnx.getAndSet(false) ? body.length / 2 : -1;
    if (from > 0) {
      int shown = name.endsWith(".onnx") && badRangeOnnx.get() ? 0 : from;
      ex.getResponseHeaders().set("Content-Range", "bytes " + shown + "-" + (body.length - 1) + "/" + body.length);
      if (shown == 0) {
        from = 0;
      }
    }
    if (name.endsWith(".onnx") && stallNextOnnx.getAndSet(false)) {
      ex.sendResponseHeaders(200, body.length);
      ex.getResponseBody().write(body, 0, body.length / 2);
      ex.getResponseBody().flush();
      try {
        unstall.await();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      ex.close();
      return;
    }
    send(ex, from > 0 || range != null ? 206 : 200, body, from, cutAt);
  }

  /** Sends body[from..]; with cutAt >= 0, announces the full length but drops the connection there. */
  static void send(HttpExchange ex, int status, byte[] body, int from, int cutAt) throws IOException {
    ex.sendResponseHeaders(status, body.length - from);
    OutputStream os = ex.getResponseBody();
    if (cutAt >= 0) {
      os.write(body, from, cutAt - from);
      os.flush();
      ex.getHttpContext().getServer();
      ex.close();
      return;
    }
    os.write(body, from, body.length - from);
    os.close();
  }

  ObjectNode modelInfo() throws IOException {
    ObjectNode info = Json.object();
    info.put("id", REPO);
    info.put("sha", COMMIT);
    ArrayNode siblings = info.putArray("siblings");
    for (Map.Entry<String, byte[]> f : files.entrySet()) {
      ObjectNode s = siblings.addObject();
      s.put("rfilename", f.getKey());
      s.put("size", f.getValue().length);
      Path tmp = Files.createTempFile("blob", ".bin");
      Files.write(tmp, f.getValue());
      if (f.getValue().length > 1_000_000) {
        s.putObject("lfs").put("sha256", dev.quarry.Digests.hex(tmp, "SHA-256", null)).put("size", f.getValue().length);
      } else {
        s.put("blobId", dev.quarry.Digests.hex(tmp, "SHA-1", ("blob " + f.getValue().length + "\0").getBytes(StandardCharsets.UTF_8)));
      }
      Files.delete(tmp);
    }
    return info;
  }

  HubClient client(boolean offline) {
    return new HubClient(endpoint(), cache, offline, null, line -> { });
  }

  @Test
  void downloadsOnlyWhatTheOnnxPathNeedsAndTheModelEncodesLikeTheOriginal() {
    Path snapshot = client(false).snapshot(REPO, "main");
    assertTrue(snapshot.endsWith(Path.of("snapshots", COMMIT)));
    assertTrue(Files.exists(snapshot.resolve("onnx/model.onnx")));
    assertTrue(Files.exists(snapshot.resolve("1_Pooling/config.json")));
    assertFalse(Files.exists(snapshot.resolve("pytorch_model.bin")), "PyTorch weights are not needed");
    try (SentenceTransformer hub = SentenceTransformer.load(ModelFolder.read(snapshot, REPO), RuntimeOptions.defaults())) {
      assertArrayEquals(TestModels.model(TestModels.MINILM).encode("same model, other route"), hub.encode("same model, other route"));
    }
  }

  @Test
  void aSafetensorsOnlyRepositoryBringsItsWeightsForExport() {
    files.put("model.safetensors", new byte[] {8, 0, 0, 0, 0, 0, 0, 0, '{', '}', ' ', ' ', ' ', ' ', ' ', ' '});
    Path withOnnx = client(false).snapshot(REPO, "main");
    assertFalse(Files.exists(withOnnx.resolve("model.safetensors")), "ONNX present: PyTorch weights are not needed");

    files.remove("onnx/model.onnx");
    Path cache2 = cache.resolve("second");
    Path snapshot = new HubClient(endpoint(), cache2, false, null, line -> { }).snapshot(REPO, "main");
    assertTrue(Files.exists(snapshot.resolve("model.safetensors")));
    // Loading exports the safetensors on first use; these test weights are empty, which the export names.
    QuarryException e = assertThrows(QuarryException.class, () -> ModelFolder.read(snapshot, REPO, cache2));
    assertTrue(e.getMessage().contains("is missing from") && e.getMessage().contains("model.safetensors"), e.getMessage());
    assertEquals(null, ModelFolder.readForTraining(snapshot, REPO).onnxFile());
  }

  @Test
  void aRouterRepositoryBringsEachRoutesGraphOrWeights() throws Exception {
    String[] repo = {"modules.json", "router_config.json", "config_sentence_transformers.json", "README.md",
        "query_0_Transformer/config.json", "query_0_Transformer/tokenizer.json", "query_0_Transformer/model.safetensors",
        "query_0_Transformer/onnx/model.onnx", "query_0_Transformer/onnx/model_O4.onnx", "query_1_Pooling/config.json",
        "document_0_Transformer/config.json", "document_0_Transformer/tokenizer.json", "document_0_Transformer/model.safetensors",
        "document_1_Pooling/config.json", "document_2_Dense/config.json", "document_2_Dense/model.safetensors"};
    StringBuilder json = new StringBuilder("[");
    for (String f : repo) {
      json.append(json.length() > 1 ? "," : "").append("{\"rfilename\": \"").append(f).append("\"}");
    }
    List<String> picked = HubClient.selectFiles(dev.quarry.io.Json.reader().readTree(json + "]")).stream()
        .map(n -> n.path("rfilename").asText()).toList();
    assertEquals(List.of("modules.json", "router_config.json", "config_sentence_transformers.json", "query_0_Transformer/config.json",
        "query_0_Transformer/tokenizer.json", "query_0_Transformer/onnx/model.onnx", "query_1_Pooling/config.json",
        "document_0_Transformer/config.json", "document_0_Transformer/tokenizer.json", "document_0_Transformer/model.safetensors",
        "document_1_Pooling/config.json", "document_2_Dense/config.json", "document_2_Dense/model.safetensors"), picked);
  }

  @Test
  void anInterruptedDownloadResumesWithARangeRequest() {
    cutNextOnnx.set(true);
    QuarryException first = assertThrows(QuarryException.class, () -> client(false).snapshot(REPO, "main"));
    assertTrue(first.getMessage().contains("run again to resume"), first.getMessage());
    Path partial = cache.resolve("hub/models--acme--minilm/snapshots/" + COMMIT + "/onnx/model.onnx.incomplete");
    assertTrue(Files.exists(partial), "the bytes received are kept");
    long kept = size(partial);
    assertTrue(kept > 0);

    Path snapshot = client(false).snapshot(REPO, "main");
    assertTrue(requests.stream().anyMatch(r -> r.endsWith("onnx/model.onnx bytes=" + kept + "-")), requests.toString());
    assertArrayEquals(files.get("onnx/model.onnx"), read(snapshot.resolve("onnx/model.onnx")));
    assertFalse(Files.exists(partial));
  }

  @Test
  void aCorruptDownloadIsRejectedAndNotMovedIntoPlace() {
    corruptOnnx.set(true);
    QuarryException e = assertThrows(QuarryException.class, () -> client(false).snapshot(REPO, "main"));
    assertTrue(e.getMessage().contains("SHA-256"), e.getMessage());
    assertFalse(Files.exists(cache.resolve("hub/models--acme--minilm/snapshots/" + COMMIT + "/onnx/model.onnx")));
    corruptOnnx.set(false);
    assertTrue(Files.exists(client(false).snapshot(REPO, "main").resolve("onnx/model.onnx")));
  }

  @Test
  void offlineUsesTheCacheAndPinnedRevisionsResolve() {
    assertThrows(QuarryException.class, () -> client(true).snapshot(REPO, "main"), "nothing cached yet");
    Path online = client(false).snapshot(REPO, "main");
    int before = requests.size();
    assertEquals(online, client(true).snapshot(REPO, "main"));
    assertEquals(online, client(true).snapshot(REPO, COMMIT));
    assertEquals(before, requests.size(), "offline mode sends no request");
    ModelFolder viaResolver = new ModelResolver(cache, endpoint(), true, null).resolve(REPO + "@" + COMMIT);
    assertEquals(REPO, viaResolver.modelId());
  }

  @Test
  void unknownRepositoryIsAClearError() {
    QuarryException e = assertThrows(QuarryException.class, () -> client(false).snapshot("acme/missing", "main"));
    assertTrue(e.getMessage().contains("acme/missing"), e.getMessage());
  }

  @Test
  void theTokenGoesOnlyToTheHubHostNotAlongARedirectToACdn() throws Exception {
    HttpServer cdnServer = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    cdnServer.createContext("/", this::handle);
    cdnServer.start();
    try {
      // Same machine, another origin: "localhost" is not the hub's "127.0.0.1".
      cdn = "http://localhost:" + cdnServer.getAddress().getPort();
      HubClient client = new HubClient(endpoint(), cache, false, "hf_secret", line -> { },
          new HubClient.Settings(java.time.Duration.ofSeconds(30), true));
      Path snapshot = client.snapshot(REPO, "main");
      assertArrayEquals(files.get("onnx/model.onnx"), read(snapshot.resolve("onnx/model.onnx")));
      List<String> toCdn = authorizations.stream().filter(a -> a.contains("onnx/model.onnx") && !a.endsWith(" null")).toList();
      assertTrue(authorizations.stream().anyMatch(a -> a.contains("/api/models/") && a.endsWith("Bearer hf_secret")), authorizations.toString());
      assertEquals(1, toCdn.size(), "only the hub's own request for the onnx file (answered with the redirect) carries the token: "
          + authorizations);
    } finally {
      cdnServer.stop(0);
    }
  }

  @Test
  void aTokenIsNotSentOverPlainHttpUnlessAllowed() {
    HubClient client = new HubClient(endpoint(), cache, false, "hf_secret", line -> { });
    QuarryException e = assertThrows(QuarryException.class, () -> client.snapshot(REPO, "main"));
    assertTrue(e.getMessage().contains("plain http"), e.getMessage());
    assertTrue(authorizations.isEmpty(), "nothing was sent: " + authorizations);
  }

  @Test
  void aResumeAtTheWrongOffsetIsNotSplicedIn() {
    cutNextOnnx.set(true);
    assertThrows(QuarryException.class, () -> client(false).snapshot(REPO, "main"));
    badRangeOnnx.set(true);
    QuarryException e = assertThrows(QuarryException.class, () -> client(false).snapshot(REPO, "main"));
    assertTrue(e.getMessage().contains("resumed at byte 0"), e.getMessage());
    badRangeOnnx.set(false);
    Path snapshot = client(false).snapshot(REPO, "main");
    assertArrayEquals(files.get("onnx/model.onnx"), read(snapshot.resolve("onnx/model.onnx")));
  }

  @Test
  void aStalledBodyTimesOutAndTheDownloadResumesLater() {
    stallNextOnnx.set(true);
    HubClient impatient = new HubClient(endpoint(), cache, false, null, line -> { },
        new HubClient.Settings(java.time.Duration.ofSeconds(1), false));
    long t0 = System.nanoTime();
    QuarryException e = assertThrows(QuarryException.class, () -> impatient.snapshot(REPO, "main"));
    assertTrue(e.getMessage().contains("read timeout"), e.getMessage());
    assertTrue(System.nanoTime() - t0 < 20_000_000_000L, "gave up in time");
    unstall.countDown();
    Path snapshot = client(false).snapshot(REPO, "main");
    assertTrue(requests.stream().anyMatch(r -> r.contains("onnx/model.onnx bytes=")), "resumed: " + requests);
    assertArrayEquals(files.get("onnx/model.onnx"), read(snapshot.resolve("onnx/model.onnx")));
  }

  @Test
  void twoClientsFetchingTheSameFileTakeTurns() throws Exception {
    holdOnnx.set(true);
    java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(2);
    try {
      List<java.util.concurrent.Future<Path>> runs = new java.util.ArrayList<>();
      for (int i = 0; i < 2; i++) {
        runs.add(pool.submit(() -> client(false).snapshot(REPO, "main")));
      }
      for (java.util.concurrent.Future<Path> r : runs) {
        assertArrayEquals(files.get("onnx/model.onnx"), read(r.get().resolve("onnx/model.onnx")));
      }
    } finally {
      pool.shutdownNow();
    }
    assertEquals(1, onnxRequests.get(), "the second client waited for the first instead of downloading the same file: " + requests);
  }

  @Test
  void aQuantisedVariantIsFetchedOnlyWhenAskedFor() {
    String variant = "onnx/model_qint8_avx512_vnni.onnx";
    files.put(variant, new byte[] {1, 2, 3, 4, 5, 6, 7, 8});
    Path snapshot = client(false).snapshot(REPO, "main");
    assertFalse(Files.exists(snapshot.resolve(variant)), "variants are not downloaded by default");
    assertThrows(QuarryException.class, () -> client(true).snapshot(REPO, "main", List.of(variant)), "offline, not cached yet");
    // Asked for later: the complete snapshot gains the file.
    assertEquals(snapshot, client(false).snapshot(REPO, "main", List.of(variant)));
    assertArrayEquals(files.get(variant), read(snapshot.resolve(variant)));
    assertEquals(List.of("onnx/model.onnx", variant), ModelFolder.read(snapshot, REPO).onnxVariants());
    assertEquals(snapshot.resolve(variant), ModelFolder.read(snapshot, REPO).withOnnxFile("model_qint8_avx512_vnni.onnx").onnxFile());
    assertEquals(snapshot, client(true).snapshot(REPO, "main", List.of(variant)), "now cached");
    QuarryException e = assertThrows(QuarryException.class, () -> client(false).snapshot(REPO, "main", List.of("onnx/model_O4.onnx")));
    assertTrue(e.getMessage().contains("no file onnx/model_O4.onnx") && e.getMessage().contains(variant), e.getMessage());
  }

  static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  static long size(Path p) {
    try {
      return Files.size(p);
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  static byte[] read(Path p) {
    try {
      return Files.readAllBytes(p);
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }
}
