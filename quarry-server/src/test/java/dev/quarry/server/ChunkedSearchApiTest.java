package dev.quarry.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.quarry.chunk.Chunker;
import dev.quarry.encode.EncodeOptions;
import dev.quarry.index.CorpusIndexer;
import dev.quarry.index.CorpusSources;
import dev.quarry.index.IndexSettings;
import dev.quarry.index.SourceSync;
import dev.quarry.index.lucene.LuceneIndex;
import dev.quarry.io.Json;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** /search over an index of chunks: one hit per document by default, raw chunks on request, where each chunk lies. */
@Tag("slow")
class ChunkedSearchApiTest {
  @TempDir Path tmp;

  @Test
  void searchAnswersDocumentsWithTheirBestChunkOrRawChunks() throws Exception {
    var model = ServerFixture.model();
    LuceneIndex index = LuceneIndex.open(tmp.resolve("index"), CorpusIndexer.metadataOf(model), IndexSettings.defaults());
    SourceSync.Report built = SourceSync.sync(index, new CorpusSources(Path.of("..", "datasets", "ai-qa", "corpus.jsonl")), List.of(),
        new Chunker(model.documentTokenizer(), 24, 4), texts -> model.encodeDocuments(texts, EncodeOptions.defaults()),
        SourceSync.Options.defaults(), null);
    assertEquals(183, built.added());
    assertTrue(built.chunks() > 183 * 2, "passages are cut into several chunks: " + built.chunks());
    try (ServerFixture f = new ServerFixture(index, tmp.resolve("index"), ServerConfig.defaults())) {
      JsonNode health = Json.reader().readTree(f.get("/health").body());
      assertTrue(health.get("chunks").asBoolean());
      assertEquals("document", health.get("group_by").asText());
      String q = "Which variant of Adam applies weight decay directly to the weights?";
      for (String mode : List.of("dense", "exact", "bm25", "hybrid")) {
        JsonNode docs = search(f, "{\"query\": \"" + q + "\", \"k\": 10, \"mode\": \"" + mode + "\"}");
        assertEquals("documents", docs.get("searching").asText());
        Set<String> seen = new HashSet<>();
        for (JsonNode h : docs.get("hits")) {
          assertTrue(seen.add(h.get("document_id").asText()), mode + ": a document twice: " + docs);
          assertTrue(h.get("id").asText().startsWith(h.get("document_id").asText() + "#"));
          assertTrue(h.get("end").asInt() > h.get("start").asInt());
        }
        assertEquals(10, seen.size(), mode);
        assertEquals("adamw", docs.get("hits").get(0).get("document_id").asText(), mode + ": " + docs);
      }
      JsonNode chunks = search(f, "{\"query\": \"" + q + "\", \"k\": 20, \"group_by\": \"chunk\"}");
      assertEquals("chunks", chunks.get("searching").asText());
      List<String> docIds = new ArrayList<>();
      chunks.get("hits").forEach(h -> docIds.add(h.get("document_id").asText()));
      assertTrue(new HashSet<>(docIds).size() < docIds.size(), "raw chunks repeat documents: " + docIds);
      HttpResponse<String> bad = f.post("/search", "{\"query\": \"x\", \"group_by\": \"page\"}", null);
      assertEquals(400, bad.statusCode());
      assertTrue(bad.body().contains("group_by"), bad.body());
    }
  }

  private static JsonNode search(ServerFixture f, String json) throws Exception {
    HttpResponse<String> r = f.post("/search", json, null);
    assertEquals(200, r.statusCode(), r.body());
    return Json.reader().readTree(r.body());
  }
}
