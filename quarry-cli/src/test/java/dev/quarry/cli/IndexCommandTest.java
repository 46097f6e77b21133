package dev.quarry.cli;

import static dev.quarry.cli.QuarryCliTest.captureErr;
import static dev.quarry.cli.QuarryCliTest.captureOut;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** index, search and eval open one index and keep it in step with corpus.jsonl instead of rebuilding it. */
@Tag("slow") // real models at size, servers, fine-tunes: left out of the fast tier (-Pfast)
class IndexCommandTest {
  @Test
  void commandsOpenTheIndexAndSyncOnlyWhatChanged(@TempDir Path tmp) throws Exception {
    Path data = tmp.resolve("ai-qa");
    Files.createDirectories(data.resolve("qrels"));
    for (String f : List.of("corpus.jsonl", "queries.jsonl", "qrels/test.tsv")) {
      Files.copy(Path.of("..", "datasets", "ai-qa", f), data.resolve(f));
    }
    String index = tmp.resolve("idx").toString();
    String built = captureErr(() -> assertEquals(0, QuarryCli.run("index", "-d", data.toString(), "--index", index)));
    assertTrue(built.contains("183 added"), built);

    // Opened, not rebuilt: nothing is read or encoded for the search.
    String[] out = new String[1];
    String err = captureErr(() -> out[0] = captureOut(() -> assertEquals(0,
        QuarryCli.run("search", "-d", data.toString(), "--index", index, "--mode", "dense", "What is dropout?"))));
    assertFalse(err.contains("added"), err);
    assertTrue(out[0].contains("(dropout)"), out[0]);

    List<String> lines = new ArrayList<>(Files.readAllLines(data.resolve("corpus.jsonl")));
    lines.remove(0);
    lines.add("{\"_id\": \"new\", \"title\": \"Gradient clipping\", \"text\": \"Clipping rescales large gradients.\"}");
    Files.write(data.resolve("corpus.jsonl"), lines);
    String synced = captureErr(() -> assertEquals(0, QuarryCli.run("eval", "-d", data.toString(), "--index", index,
        "--mode", "bm25", "--skip-unknown-ids")));
    assertTrue(synced.contains("1 added, 0 changed, 182 unchanged, 1 deleted (1 encoded)"), synced);
  }
}
