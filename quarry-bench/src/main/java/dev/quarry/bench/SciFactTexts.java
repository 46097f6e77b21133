package dev.quarry.bench;

import com.fasterxml.jackson.databind.JsonNode;
import dev.quarry.io.Json;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** The benchmark's texts: SciFact passages (title + " " + text, as BEIR feeds bi-encoders) and queries. */
record SciFactTexts(List<String> passages, List<String> queries) {
  static SciFactTexts load(Path dir, int maxPassages) throws IOException {
    List<String> passages = new ArrayList<>();
    try (BufferedReader r = Files.newBufferedReader(dir.resolve("corpus.jsonl"))) {
      for (String line; (line = r.readLine()) != null && passages.size() < maxPassages; ) {
        JsonNode n = Json.reader().readTree(line);
        passages.add((n.path("title").asText("") + " " + n.path("text").asText("")).strip());
      }
    }
    List<String> queries = new ArrayList<>();
    for (String line : Files.readAllLines(dir.resolve("queries.jsonl"))) {
      queries.add(Json.reader().readTree(line).path("text").asText());
    }
    return new SciFactTexts(passages, queries);
  }
}
