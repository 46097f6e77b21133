package dev.quarry.server;

import static dev.quarry.server.ServerApiTest.assertError;
import static dev.quarry.server.ServerFixture.TOKEN;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.quarry.QuarryException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/** Validation, atomic writes, routing, and the browser-facing defences, on one real server. */
@Tag("slow") // real models at size, servers, fine-tunes: left out of the fast tier (-Pfast)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ServerHardeningTest {
  @TempDir static Path tmp;
  ServerFixture f;

  @BeforeAll
  void start() {
    f = new ServerFixture(tmp.resolve("index"));
  }

  @AfterAll
  void stop() {
    f.close();
  }

  private static String doc(String id, String text) {
    return "{\"id\": " + id + ", \"text\": \"" + text + "\"}";
  }

  private HttpResponse<String> write(String body) throws Exception {
    return f.post("/documents", body, TOKEN);
  }

  @Test
  void aFailingWriteLeavesNothingBehindEvenAfterALaterCommit() throws Exception {
    String immense = "\"" + "x".repeat(40_000) + "\"";
    assertError(write("{\"documents\": [" + doc("\"first-of-bad-batch\"", "fine") + ", " + doc(immense, "boom") + "]}"), 400,
        "ids must be 1 to 512 bytes");
    HttpResponse<String> later = write("{\"documents\": [" + doc("\"later\"", "a later write commits") + "]}");
    assertEquals(200, later.statusCode(), later.body());
    assertNull(f.index.document("first-of-bad-batch"), "no document of a refused request may become permanent");
    assertNotNull(f.index.document("later"));
  }

  @Test
  void idsAndFieldsAreTakenExactlyAsSentOrRefused() throws Exception {
    assertError(write("{\"documents\": [" + doc("5", "number id") + "]}"), 400, "documents[0].id must be a non-empty string");
    assertError(write("{\"documents\": [" + doc("null", "null id") + "]}"), 400, "documents[0].id");
    assertError(write("{\"documents\": [{\"id\": \"t\", \"title\": 7, \"text\": \"x\"}]}"), 400, "documents[0].title must be a string");
    assertError(write("{\"documents\": [" + doc("\"dup\"", "one") + ", " + doc("\"dup\"", "two") + "]}"), 400, "appears earlier");
    assertNull(f.index.document("dup"));
    HttpRequest del = HttpRequest.newBuilder(URI.create(f.server.url() + "documents"))
        .method("DELETE", HttpRequest.BodyPublishers.ofString("{\"ids\": [\"a\", 5]}")).header("Content-Type", "application/json")
        .header("Authorization", "Bearer " + TOKEN).build();
    assertError(f.http.send(del, HttpResponse.BodyHandlers.ofString()), 400, "ids[1] must be a non-empty string");
  }

  @Test
  void deletePathsAreDecodedExactlyOnce() throws Exception {
    for (String id : List.of("a+b", "a b", "100%", "100")) {
      assertEquals(200, write("{\"documents\": [" + doc("\"" + id + "\"", "id " + id) + "]}").statusCode());
    }
    assertEquals(200, f.delete("/documents/a%2Bb", TOKEN).statusCode());
    assertNull(f.index.document("a+b"));
    assertNotNull(f.index.document("a b"), "'+' in a path is not a space");
    assertEquals(200, f.delete("/documents/100%25", TOKEN).statusCode());
    assertNull(f.index.document("100%"));
    assertNotNull(f.index.document("100"), "%25 decodes to '%' once, not to '%' and then to something else");
  }

  @Test
  void onlyExactRoutesAnswer() throws Exception {
    assertError(f.post("/documentsX", "{\"documents\": []}", TOKEN), 404, "no such endpoint");
    assertError(f.post("/searchX", "{\"query\": \"x\"}", null), 404, "no such endpoint");
    assertError(f.get("/health/x"), 404, "no such endpoint");
    assertEquals(200, f.get("/health").statusCode());
  }

  @Test
  void writesNeedJsonAndTheSameOrigin() throws Exception {
    String body = "{\"documents\": [" + doc("\"csrf\"", "cross-site") + "]}";
    HttpRequest plain = HttpRequest.newBuilder(URI.create(f.server.url() + "documents")).POST(HttpRequest.BodyPublishers.ofString(body))
        .header("Content-Type", "text/plain").header("Authorization", "Bearer " + TOKEN).build();
    assertError(f.http.send(plain, HttpResponse.BodyHandlers.ofString()), 415, "application/json");
    String port = Integer.toString(f.server.port());
    String cross = "POST /documents HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\nOrigin: http://evil.example\r\n"
        + "Content-Type: application/json\r\nAuthorization: Bearer " + TOKEN + "\r\nContent-Length: " + body.length() + "\r\n\r\n" + body;
    String answer = RawHttp.exchange(f.server.port(), cross);
    assertEquals(403, RawHttp.status(answer), answer);
    assertTrue(answer.contains("cross-origin"), answer);
    String same = cross.replace("http://evil.example", "http://127.0.0.1:" + port);
    assertEquals(200, RawHttp.status(RawHttp.exchange(f.server.port(), same)));
    assertNotNull(f.index.document("csrf"));
  }

  @Test
  void aForeignHostNameIsRefused() throws Exception {
    String rebinding = "GET /health HTTP/1.1\r\nHost: attacker.example:" + f.server.port() + "\r\n\r\n";
    String answer = RawHttp.exchange(f.server.port(), rebinding);
    assertEquals(403, RawHttp.status(answer), answer);
    assertTrue(answer.contains("--allowed-host"), answer);
    for (String host : List.of("localhost", "127.0.0.1", "[::1]")) {
      assertEquals(200, RawHttp.status(RawHttp.exchange(f.server.port(), "GET /health HTTP/1.1\r\nHost: " + host + ":" + f.server.port()
          + "\r\n\r\n")), host);
    }
  }

  @Test
  void aNonLoopbackBindWithoutATokenIsRefusedAtStart() {
    QuarryException e = assertThrows(QuarryException.class,
        () -> QuarryServer.start(ServerFixture.model(), f.index, ServerConfig.defaults().withHost("0.0.0.0").withPort(0)));
    assertTrue(e.getMessage().contains("without a token"), e.getMessage());
  }

  @Test
  void anEmptyOrShortTokenIsRefusedAtStart() {
    for (String token : List.of("", "   ", "short-token")) {
      QuarryException e = assertThrows(QuarryException.class,
          () -> QuarryServer.start(ServerFixture.model(), f.index, ServerConfig.defaults().withPort(0).withToken(token)));
      assertTrue(e.getMessage().contains("at least " + ServerConfig.MIN_TOKEN_LENGTH), e.getMessage());
    }
  }

  /** A server over three passages, bound to every address (not loopback), with the token. */
  private ServerFixture publicServer(String name, ServerConfig config) throws Exception {
    Path corpus = tmp.resolve(name + "-corpus.jsonl");
    java.nio.file.Files.writeString(corpus, "{\"_id\": \"d1\", \"title\": \"Dropout\", \"text\": \"Dropout zeroes activations at random.\"}\n"
        + "{\"_id\": \"d2\", \"title\": \"Attention\", \"text\": \"Attention weighs tokens by relevance.\"}\n"
        + "{\"_id\": \"d3\", \"title\": \"Pooling\", \"text\": \"Mean pooling averages token vectors.\"}\n");
    return new ServerFixture(tmp.resolve(name + "-index"), config.withHost("0.0.0.0").withToken(TOKEN), null, ServerFixture.model(), corpus);
  }

  @Test
  void aPublicBindNeedsTheTokenForEverythingButHealthAndThePageUnlessPublicReadSaysSo() throws Exception {
    try (ServerFixture pub = publicServer("closed", ServerConfig.defaults())) {
      assertError(pub.post("/search", "{\"query\": \"dropout\"}", null), 401, "Bearer");
      assertError(pub.post("/encode", "{\"texts\": [\"dropout\"]}", null), 401, "Bearer");
      assertError(pub.post("/search", "{\"query\": \"dropout\"}", "not-the-token-at-all"), 401, "not this server's token");
      assertEquals(401, pub.get("/metrics").statusCode());
      assertEquals(401, pub.post("/v1/embeddings", "{\"input\": \"dropout\"}", null).statusCode());
      assertEquals(401, pub.post("/documents", "{\"documents\": [{\"id\": \"x\", \"text\": \"y\"}]}", null).statusCode());
      assertEquals(200, pub.get("/health").statusCode(), "health stays open for load balancers");
      assertEquals(200, pub.get("/").statusCode(), "the page's own files hold no data");
      HttpResponse<String> search = pub.post("/search", "{\"query\": \"dropout\"}", TOKEN);
      assertEquals(200, search.statusCode(), search.body());
      assertEquals("d1", ServerFixture.json(search).get("hits").get(0).get("id").asText());
      assertEquals(200, pub.get("/metrics", TOKEN).statusCode());
    }
    try (ServerFixture open = publicServer("public-read", ServerConfig.defaults().withPublicRead(true))) {
      assertEquals(200, open.post("/search", "{\"query\": \"dropout\"}", null).statusCode());
      assertEquals(200, open.post("/encode", "{\"texts\": [\"dropout\"]}", null).statusCode());
      assertEquals(401, open.post("/documents", "{\"documents\": [{\"id\": \"x\", \"text\": \"y\"}]}", null).statusCode(),
          "--public-read opens reads, never writes");
      assertEquals(401, open.post("/v1/embeddings", "{\"input\": \"dropout\"}", null).statusCode());
    }
  }

  private HttpResponse<String> withOrigin(ServerFixture s, String method, String path, String origin, String body) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(s.server.url() + path.substring(1))).header("Origin", origin);
    if (method.equals("OPTIONS")) {
      b.method("OPTIONS", HttpRequest.BodyPublishers.noBody()).header("Access-Control-Request-Method", "POST")
          .header("Access-Control-Request-Headers", "authorization, content-type");
    } else if (body != null) {
      b.method(method, HttpRequest.BodyPublishers.ofString(body)).header("Content-Type", "application/json")
          .header("Authorization", "Bearer " + TOKEN);
    } else {
      b.method(method, HttpRequest.BodyPublishers.noBody());
    }
    return s.http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void crossOriginRequestsAreRefusedUnlessTheOriginIsAllowedWithACorrectPreflight() throws Exception {
    String search = "{\"query\": \"dropout\"}";
    // The default: no foreign origin may make the server search, encode or even answer health.
    assertError(withOrigin(f, "POST", "/search", "http://evil.example", search), 403, "--cors-origin");
    assertError(withOrigin(f, "POST", "/encode", "http://evil.example", "{\"texts\": [\"x\"]}"), 403, "cross-origin");
    assertEquals(403, withOrigin(f, "GET", "/health", "http://evil.example", null).statusCode());
    assertEquals(403, withOrigin(f, "OPTIONS", "/search", "http://evil.example", null).statusCode());
    // A form can send text/plain without a preflight: every POST must be JSON.
    HttpRequest plain = HttpRequest.newBuilder(URI.create(f.server.url() + "search")).POST(HttpRequest.BodyPublishers.ofString(search))
        .header("Content-Type", "text/plain").build();
    assertError(f.http.send(plain, HttpResponse.BodyHandlers.ofString()), 415, "application/json");
    // The server's own page (same origin) is served.
    assertEquals(200, withOrigin(f, "POST", "/search", "http://127.0.0.1:" + f.server.port(), search).statusCode());

    try (ServerFixture cors = publicServer("cors", ServerConfig.defaults().withCorsOrigins(List.of("https://app.example")))) {
      HttpResponse<String> preflight = withOrigin(cors, "OPTIONS", "/search", "https://app.example", null);
      assertEquals(204, preflight.statusCode(), preflight.body());
      assertEquals("https://app.example", preflight.headers().firstValue("Access-Control-Allow-Origin").orElse(""));
      assertTrue(preflight.headers().firstValue("Access-Control-Allow-Methods").orElse("").contains("POST"), preflight.headers().toString());
      String allowHeaders = preflight.headers().firstValue("Access-Control-Allow-Headers").orElse("").toLowerCase(java.util.Locale.ROOT);
      assertTrue(allowHeaders.contains("authorization") && allowHeaders.contains("content-type"), allowHeaders);
      HttpResponse<String> allowed = withOrigin(cors, "POST", "/search", "https://app.example", search);
      assertEquals(200, allowed.statusCode(), allowed.body());
      assertEquals("https://app.example", allowed.headers().firstValue("Access-Control-Allow-Origin").orElse(""));
      assertEquals(403, withOrigin(cors, "POST", "/search", "https://other.example", search).statusCode());
      assertEquals(403, withOrigin(cors, "OPTIONS", "/search", "https://other.example", null).statusCode());
    }
  }

  @Test
  void thePageCarriesSecurityHeadersAndNoInlineScript() throws Exception {
    HttpResponse<String> page = f.get("/");
    assertEquals(200, page.statusCode());
    String csp = page.headers().firstValue("Content-Security-Policy").orElse("");
    assertTrue(csp.contains("script-src 'self'") && !csp.contains("unsafe-inline") && csp.contains("frame-ancestors 'none'"), csp);
    assertEquals("nosniff", page.headers().firstValue("X-Content-Type-Options").orElse(""));
    assertFalse(page.body().contains("<script>"), "inline script would be blocked by the CSP");
    assertEquals(200, f.get("/app.js").statusCode());
  }

  @Test
  void clientFaultsGet4xxThatSayWhatToChange() throws Exception {
    String deep = "[".repeat(1200) + "]".repeat(1200);
    assertError(f.post("/search", deep, null), 400, "malformed JSON");
    assertError(f.post("/search", "{\"query\": \"x\", \"k\": " + "9".repeat(1500) + "}", null), 400, "malformed JSON");
    String bees = "bee ".repeat(2000).trim();
    for (String mode : List.of("bm25", "hybrid")) {
      HttpResponse<String> r = f.post("/search", "{\"query\": \"" + bees + "\", \"mode\": \"" + mode + "\"}", null);
      assertEquals(200, r.statusCode(), mode + ": " + r.body());
    }
    StringBuilder distinct = new StringBuilder();
    for (int i = 0; i < 1100; i++) {
      distinct.append("w").append(Integer.toString(i, 36)).append("zq ");
    }
    assertError(f.post("/search", "{\"query\": \"" + distinct.toString().trim() + "\", \"mode\": \"bm25\"}", null), 400, "distinct terms");
    assertError(f.post("/search", "{\"query\": \"x\", \"k\": \"3\"}", null), 400, "'k' must be an integer");
  }

  @Test
  void encodeCapsTextsAndCharacters() throws Exception {
    StringBuilder many = new StringBuilder("{\"texts\": [");
    for (int i = 0; i < 300; i++) {
      many.append(i == 0 ? "" : ",").append("\"t\"");
    }
    assertError(f.post("/encode", many.append("]}").toString(), null), 413, "the limit is 256");
    StringBuilder big = new StringBuilder("{\"texts\": [");
    for (int i = 0; i < 25; i++) {
      big.append(i == 0 ? "" : ",").append('"').append("long text ".repeat(999)).append('"');
    }
    assertError(f.post("/encode", big.append("]}").toString(), null), 413, "the limit is 200000");
  }
}
