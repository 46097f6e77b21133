package dev.quarry.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.quarry.data.BeirDataset;
import dev.quarry.io.Json;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The quality loop on the bundled set: mine with BM25 candidates, train on the file with the cached
 * loss inside MatryoshkaLoss, and refuse a mined file whose ids or texts do not hold.
 */
@Tag("slow") // real models at size, servers, fine-tunes: left out of the fast tier (-Pfast)
class MineCommandTest {
  @Test
  void minesFromBm25TrainsOnTheFileAndRefusesABrokenOne(@TempDir Path dir) throws Exception {
    Path mined = dir.resolve("mined.jsonl");
    String printed = QuarryCliTest.captureOut(() -> assertEquals(0, QuarryCli.run("mine", "-d", "ai-qa", "--source", "bm25",
        "--index", dir.resolve("index").toString(), "--num-negatives", "2", "--format", "n-tuple", "--relative-margin", "0.02",
        "-o", mined.toString())));
    assertTrue(printed.contains("from bm25 candidates") && printed.contains("judged positive"), printed);
    BeirDataset train = BeirDataset.load(DatasetOptions.extractBundled(), "train", false);
    List<String> lines = Files.readAllLines(mined);
    assertTrue(lines.size() > 100, "only " + lines.size() + " rows");
    for (String line : lines) {
      JsonNode row = Json.reader().readTree(line);
      Set<String> positives = train.qrels().relevant(row.get("query_id").asText());
      assertTrue(positives.contains(row.get("positive_id").asText()));
      assertEquals(2, row.get("negative_ids").size());
      row.get("negative_ids").forEach(id -> assertTrue(!positives.contains(id.asText()), "judged positive mined: " + line));
    }

    Path out = dir.resolve("ft");
    String trained = QuarryCliTest.captureErr(() -> assertEquals(0, QuarryCli.run("train", "-d", "ai-qa", "--train-file", mined.toString(),
        "--loss", "cached-mnrl", "--batch-size", "8", "--mini-batch-size", "3", "--matryoshka-dims", "384,128",
        "--max-steps", "2", "--eval-split", "none", "-o", out.toString())));
    assertTrue(trained.contains("in mini-batches of 3") && trained.contains("MatryoshkaLoss [384, 128]"), trained);
    String card = Files.readString(out.resolve("README.md"));
    assertTrue(card.contains("- loss:MatryoshkaLoss") && card.contains("'matryoshka_dims': [384, 128]")
        && card.contains("CachedMultipleNegativesRankingLoss") && card.contains("'mini_batch_size': 3")
        && card.contains("truncate_dim=128"), card);

    Path png = dir.resolve("runs.png");
    String table = QuarryCliTest.captureOut(() -> assertEquals(0, QuarryCli.run("compare-runs", "-o", png.toString(),
        "cached=" + out)));
    assertTrue(table.matches("(?s).*\\ncached +2 +1 .*"), table); // 2 steps in 1 epoch, read back from the log
    assertEquals((byte) 0x89, Files.readAllBytes(png)[0]);

    // A negative id the corpus does not have, then an empty negative text: refused with file:line.
    List<String> bad = new ArrayList<>(lines.subList(0, 3));
    bad.set(1, bad.get(1).replaceFirst("\"negative_ids\":\\[\"[^\"]+\"", "\"negative_ids\":[\"no-such-doc\""));
    Path unknown = dir.resolve("unknown.jsonl");
    Files.write(unknown, bad);
    String err = QuarryCliTest.captureErr(() -> assertEquals(2, QuarryCli.run("train", "-d", "ai-qa", "--train-file", unknown.toString(),
        "--max-steps", "1", "--eval-split", "none", "-o", dir.resolve("x").toString())));
    assertTrue(err.contains(unknown + ":2: unknown negative id 'no-such-doc'"), err);
    bad = new ArrayList<>(lines.subList(0, 3));
    bad.set(2, bad.get(2).replaceFirst("\"negative\":\\[\"(\\\\.|[^\"\\\\])*\"", "\"negative\":[\" \""));
    Path empty = dir.resolve("empty.jsonl");
    Files.write(empty, bad);
    err = QuarryCliTest.captureErr(() -> assertEquals(2, QuarryCli.run("train", "-d", "ai-qa", "--train-file", empty.toString(),
        "--max-steps", "1", "--eval-split", "none", "-o", dir.resolve("y").toString())));
    assertTrue(err.contains(empty + ":3: an entry of \"negative\" is empty"), err);
  }
}
