package dev.quarry.cli;

import static dev.quarry.cli.QuarryCliTest.captureErr;
import static dev.quarry.cli.QuarryCliTest.captureOut;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.quarry.encode.SentenceTransformer;
import dev.quarry.index.PassageIndex;
import dev.quarry.io.Json;
import dev.quarry.server.QuarryServer;
import dev.quarry.server.ServerConfig;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.solr.cloud.MiniSolrCloudCluster;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** index, search, eval and serve with --solr: the same commands and API over a SolrCloud collection. */
@Tag("slow")
class SolrCommandsTest {
  @Test
  void commandsAndServerWorkOverSolr(@TempDir Path tmp) throws Exception {
    Path data = tmp.resolve("ai-qa");
    Files.createDirectories(data.resolve("qrels"));
    for (String f : List.of("corpus.jsonl", "queries.jsonl", "qrels/test.tsv")) {
      Files.copy(Path.of("..", "datasets", "ai-qa", f), data.resolve(f));
    }
    System.setProperty("solr.log.dir", tmp.resolve("solr-logs").toString());
    MiniSolrCloudCluster cluster = new MiniSolrCloudCluster.Builder(2, tmp.resolve("solr")).configure();
    try {
      String zk = cluster.getZkServer().getZkAddress();
      String[] solr = {"--solr", zk, "--collection", "aiqa"};
      String built = captureErr(() -> assertEquals(0, QuarryCli.run(concat(List.of("index", "-d", data.toString(),
          "--shards", "2"), solr))));
      assertTrue(built.contains("183 added"), built);
      assertTrue(built.contains("Solr collection aiqa"), built);

      String[] out = new String[1];
      captureErr(() -> out[0] = captureOut(() -> assertEquals(0, QuarryCli.run(concat(List.of("search", "-d", data.toString(),
          "--mode", "hybrid", "What is dropout?"), solr)))));
      assertTrue(out[0].contains("(dropout)"), out[0]);
      String refused = captureErr(() -> assertEquals(2, QuarryCli.run(concat(List.of("search", "-d", data.toString(),
          "--mode", "exact", "What is dropout?"), solr))));
      assertTrue(refused.contains("not supported on Solr"), refused);
      String refusedEval = captureErr(() -> assertEquals(2, QuarryCli.run(concat(List.of("eval", "-d", data.toString(),
          "--mode", "exact"), solr))));
      assertTrue(refusedEval.contains("not supported on Solr"), refusedEval);

      List<String> lines = new ArrayList<>(Files.readAllLines(data.resolve("corpus.jsonl")));
      lines.remove(0);
      Files.write(data.resolve("corpus.jsonl"), lines);
      String[] table = new String[1];
      String synced = captureErr(() -> table[0] = captureOut(() -> assertEquals(0, QuarryCli.run(concat(List.of("eval", "-d",
          data.toString(), "--mode", "bm25", "--skip-unknown-ids"), solr)))));
      assertTrue(synced.contains("0 added, 0 changed, 182 unchanged, 1 deleted (0 encoded)"), synced);
      assertTrue(table[0].contains("NDCG@10"), table[0]);

      // The server over the same collection: search, and a write acknowledged only once committed.
      IndexOptions options = new IndexOptions();
      options.solr.address = zk;
      options.solr.collection = "aiqa";
      ModelOptions model = new ModelOptions();
      try (SentenceTransformer m = model.load(); PassageIndex index = IndexAccess.open(m, data, options)) {
        QuarryServer server = QuarryServer.start(m, index, ServerConfig.defaults().withPort(0).withToken(TOKEN));
        try {
          HttpClient http = HttpClient.newHttpClient();
          JsonNode hits = post(http, server, "/search", "{\"query\": \"What is dropout?\", \"k\": 3, \"mode\": \"dense\"}", null);
          assertEquals("dropout", hits.get("hits").get(0).get("id").asText(), hits.toString());
          JsonNode added = post(http, server, "/documents",
              "{\"documents\": [{\"id\": \"zq-1\", \"title\": \"Marker\", \"text\": \"zqmarker passage from the API\"}]}", TOKEN);
          assertEquals(183, added.get("documents").asInt(), added.toString());
          JsonNode found = post(http, server, "/search", "{\"query\": \"zqmarker\", \"k\": 1, \"mode\": \"bm25\"}", null);
          assertEquals("zq-1", found.get("hits").get(0).get("id").asText(), found.toString());
        } finally {
          server.stop();
        }
      }
    } finally {
      cluster.shutdown();
    }
  }

  /** A token of the length the server requires (at least 16 characters). */
  static final String TOKEN = "solr-commands-test-token";

  static JsonNode post(HttpClient http, QuarryServer server, String path, String json, String token) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(server.url() + path.substring(1)))
        .POST(HttpRequest.BodyPublishers.ofString(json)).header("Content-Type", "application/json");
    if (token != null) {
      b.header("Authorization", "Bearer " + token);
    }
    HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(200, r.statusCode(), r.body());
    return Json.reader().readTree(r.body());
  }

  static String[] concat(List<String> head, String[] tail) {
    List<String> all = new ArrayList<>(head);
    all.addAll(List.of(tail));
    return all.toArray(String[]::new);
  }
}
