package dev.quarry.server;

import static dev.quarry.server.ServerFixture.TOKEN;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.quarry.TestModels;
import dev.quarry.encode.RuntimeOptions;
import dev.quarry.model.CrossEncoderFolder;
import dev.quarry.rerank.CrossEncoder;
import dev.quarry.search.Reranker;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Seeded fuzzing of every endpoint: valid requests mutated (bytes flipped, cut short, fields of the
 * wrong type, deep nesting, huge numbers, odd Unicode). Whatever arrives, the answer is a 4xx with
 * a JSON message (or a 200), never a 500 and never an exception's text, and the server stays healthy.
 */
@Tag("slow") // real models at size, servers, fine-tunes: left out of the fast tier (-Pfast)
class ServerFuzzTest {
  private static final Set<Integer> CLIENT_OR_OK = Set.of(200, 400, 401, 403, 404, 405, 413, 415);
  /** Valid requests, one or more per endpoint: path, method, body. */
  private static final List<String[]> SEEDS = List.of(
      new String[] {"/search", "POST", "{\"query\": \"what is dropout\", \"k\": 3, \"mode\": \"dense\"}"},
      new String[] {"/search", "POST", "{\"query\": \"adam weight decay\", \"k\": 5, \"mode\": \"hybrid\", \"rerank_depth\": 5}"},
      new String[] {"/search", "POST", "{\"query\": \"attention\", \"mode\": \"bm25\", \"rerank\": false}"},
      new String[] {"/encode", "POST", "{\"texts\": [\"a\", \"b c\"], \"normalize\": true}"},
      new String[] {"/documents", "POST", "{\"documents\": [{\"id\": \"fz\", \"title\": \"T\", \"text\": \"fuzzed text\"}]}"},
      new String[] {"/documents", "DELETE", "{\"ids\": [\"fz\", \"other\"]}"},
      new String[] {"/v1/embeddings", "POST", "{\"input\": [\"a\", \"b\"], \"model\": \"all-MiniLM-L6-v2\", \"encoding_format\":"
          + " \"base64\", \"dimensions\": 64, \"input_type\": \"query\", \"user\": \"u\"}"},
      new String[] {"/embed", "POST", "{\"inputs\": \"a b\", \"normalize\": false, \"truncate\": false, \"dimensions\": 32}"},
      new String[] {"/rerank", "POST", "{\"query\": \"q\", \"texts\": [\"a\", \"b\"], \"raw_scores\": true, \"return_text\": true}"},
      new String[] {"/tokenize", "POST", "{\"inputs\": [\"tok en\"], \"add_special_tokens\": false}"},
      new String[] {"/v1/rerank", "POST", "{\"model\": \"ce\", \"query\": \"q\", \"documents\": [{\"text\": \"a\"}, \"b\"],"
          + " \"top_n\": 1, \"return_documents\": true}"});
  private static final List<String> ODD_VALUES = List.of("null", "true", "-1", "0", "1e309", "9".repeat(1200), "\"\"",
      "\"\\u0000\\ud800\"", "[]", "{}", "[\"x\", 1, null]", "\"" + "é".repeat(50) + "\"", "{\"a\": ".repeat(1100) + "1" + "}".repeat(1100));

  @TempDir Path tmp;

  @Test
  void noInputMakesTheServerFail() throws Exception {
    Random random = new Random(20261128);
    CrossEncoder ce = CrossEncoder.load(CrossEncoderFolder.read(TestModels.crossEncoder(tmp.resolve("ce"), 1, null), "ce",
        tmp.resolve("cache")), RuntimeOptions.defaults());
    try (ServerFixture f = new ServerFixture(tmp.resolve("index"), ServerConfig.defaults().withToken(TOKEN), new Reranker(ce, 5))) {
      for (int i = 0; i < 600; i++) {
        String[] seed = SEEDS.get(random.nextInt(SEEDS.size()));
        String body = mutate(seed[2], random);
        String path = seed[0];
        String method = seed[1];
        if (random.nextInt(10) == 0) {
          path = List.of("/documents/" + "%41%2F%25", "/search/", "/encode?x=1", "//documents", "/documents/", "/v1/embeddings/",
              "/v1/models/x%2F..", "/embedx", "/v1//rerank").get(random.nextInt(9));
        }
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(f.server.url() + path.substring(1)))
            .method(method, HttpRequest.BodyPublishers.ofByteArray(body.getBytes(StandardCharsets.UTF_8)))
            .header("Content-Type", random.nextInt(8) == 0 ? "text/plain" : "application/json");
        if (random.nextBoolean()) {
          b.header("Authorization", "Bearer " + TOKEN);
        }
        HttpResponse<String> r = f.http.send(b.build(), HttpResponse.BodyHandlers.ofString());
        String where = method + " " + path + " " + abbreviate(body) + " -> " + r.statusCode() + " " + abbreviate(r.body());
        assertTrue(CLIENT_OR_OK.contains(r.statusCode()), where);
        // No internals: no exception text, and none of the server's own paths (index, model, working directory).
        assertFalse(r.body().contains("Exception") || r.body().contains("at dev.quarry") || r.body().contains(tmp.toString())
            || r.body().contains(System.getProperty("user.dir")) || r.body().contains(ServerFixture.model().folder().root().toString()),
            where);
        // The JDK answers a request it cannot route at all ("//x" has no path) with its own HTML 404.
        if (r.statusCode() != 200 && !r.body().startsWith("<h1>404")) {
          assertTrue(errorMessage(ServerFixture.json(r)).length() > 5, where);
        }
      }
      assertEquals(200, f.get("/health").statusCode(), f.get("/health").body());
      String metrics = f.get("/metrics").body();
      assertFalse(metrics.contains("status=\"500\""), metrics);
    } finally {
      ce.close();
    }
  }

  /** The message of any API family's error shape: Quarry's and TEI's, OpenAI's, Cohere's. */
  private static String errorMessage(JsonNode body) {
    JsonNode e = body.get("error");
    if (e != null && e.isTextual()) {
      return e.asText();
    }
    if (e != null && e.isObject() && e.path("message").isTextual()) {
      return e.get("message").asText();
    }
    return body.path("message").asText("");
  }

  /** One of: a flipped byte, a cut, a field replaced by an odd value, or nesting around the whole body. */
  static String mutate(String seed, Random random) {
    switch (random.nextInt(5)) {
      case 0 -> {
        byte[] bytes = seed.getBytes(StandardCharsets.UTF_8);
        bytes[random.nextInt(bytes.length)] = (byte) random.nextInt(256);
        return new String(bytes, StandardCharsets.ISO_8859_1);
      }
      case 1 -> {
        return seed.substring(0, random.nextInt(seed.length()));
      }
      case 2, 3 -> {
        // Replace one JSON value (after a colon) with an odd one.
        List<Integer> colons = new java.util.ArrayList<>();
        for (int i = 0; i < seed.length(); i++) {
          if (seed.charAt(i) == ':') {
            colons.add(i);
          }
        }
        int at = colons.get(random.nextInt(colons.size()));
        int end = valueEnd(seed, at + 1);
        return seed.substring(0, at + 1) + " " + ODD_VALUES.get(random.nextInt(ODD_VALUES.size())) + seed.substring(end);
      }
      default -> {
        return "[".repeat(1 + random.nextInt(1500)) + seed;
      }
    }
  }

  /** End of the JSON value starting at {@code from} (a string, number or literal; arrays/objects as a whole). */
  private static int valueEnd(String s, int from) {
    int depth = 0;
    boolean inString = false;
    for (int i = from; i < s.length(); i++) {
      char c = s.charAt(i);
      if (inString) {
        if (c == '\\') {
          i++;
        } else if (c == '"') {
          inString = false;
          if (depth == 0) {
            return i + 1;
          }
        }
      } else if (c == '"') {
        inString = true;
      } else if (c == '[' || c == '{') {
        depth++;
      } else if (c == ']' || c == '}') {
        if (depth == 0) {
          return i;
        }
        depth--;
        if (depth == 0) {
          return i + 1;
        }
      } else if (c == ',' && depth == 0) {
        return i;
      }
    }
    return s.length();
  }

  private static String abbreviate(String s) {
    return s.length() <= 200 ? s : s.substring(0, 200) + "...";
  }
}
