package dev.quarry.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** `quarry train` end to end on the bundled set: a servable folder, a card, a log, a plot. */
@Tag("slow") // real models at size, servers, fine-tunes: left out of the fast tier (-Pfast)
class TrainCommandTest {
  @Test
  void trainsEvaluatesAndSavesAServableModel(@TempDir Path dir) throws Exception {
    Path out = dir.resolve("ft");
    String printed = QuarryCliTest.captureOut(() -> assertEquals(0, QuarryCli.run("train", "--dataset", "ai-qa",
        "--max-steps", "4", "--batch-size", "8", "--eval-steps", "2", "-o", out.toString())));
    assertTrue(printed.contains("ndcg@10"), printed);
    for (String f : List.of("config.json", "model.safetensors", "tokenizer.json", "modules.json", "1_Pooling/config.json",
        "sentence_bert_config.json", "config_sentence_transformers.json", "onnx/model.onnx", "README.md",
        "training_log.jsonl", "training_curves.png")) {
      assertTrue(Files.isRegularFile(out.resolve(f)), "missing " + f);
    }
    byte[] png = Files.readAllBytes(out.resolve("training_curves.png"));
    assertEquals((byte) 0x89, png[0]);
    assertEquals('P', png[1]);
    String card = Files.readString(out.resolve("README.md"));
    assertTrue(card.contains("MultipleNegativesRankingLoss") && card.contains("'similarity_fct': 'dot_score'")
        && card.contains("\"correct_bias\": false") && card.contains("| ndcg@10 |"), card);
    List<String> log = Files.readAllLines(out.resolve("training_log.jsonl"));
    assertEquals(4, log.stream().filter(l -> l.contains("\"type\":\"train\"")).count());
    assertEquals(3, log.stream().filter(l -> l.contains("\"type\":\"eval\"")).count()); // before, step 2, step 4
    assertTrue(Files.notExists(out.resolve("eval-model")));
    String sim = QuarryCliTest.captureOut(() -> assertEquals(0, QuarryCli.run("similarity", "--model", out.toString(),
        "what is dropout", "Dropout zeroes activations at random during training.")));
    assertTrue(sim.matches("(?s).*0\\.\\d+.*"), sim);
  }

  @Test
  void aSafetensorsOnlyFolderServesAsTheFolderWithItsGraph(@TempDir Path dir) throws Exception {
    Path out = dir.resolve("ft");
    QuarryCliTest.captureOut(() -> assertEquals(0, QuarryCli.run("train", "--dataset", "ai-qa", "--max-steps", "1",
        "--batch-size", "4", "--eval-split", "none", "-o", out.toString())));
    String before = QuarryCliTest.captureOut(() -> assertEquals(0, QuarryCli.run("similarity", "--model", out.toString(), "a", "b")));
    Files.delete(out.resolve("onnx/model.onnx"));
    // What save_pretrained leaves (model.safetensors, no ONNX) loads: the graph is exported on first use.
    String exported = QuarryCliTest.captureOut(() -> assertEquals(0, QuarryCli.run("similarity", "--model", out.toString(), "a", "b")));
    assertEquals(before, exported);
    assertTrue(Files.notExists(out.resolve("onnx/model.onnx")), "the export goes to the cache, not into the folder");
    // quarry export-onnx still writes the graph into the folder, for those who want it there.
    String printed = QuarryCliTest.captureOut(() -> assertEquals(0, QuarryCli.run("export-onnx", "--model", out.toString())));
    assertTrue(printed.contains("6 layers, hidden 384"), printed);
    String after = QuarryCliTest.captureOut(() -> assertEquals(0, QuarryCli.run("similarity", "--model", out.toString(), "a", "b")));
    assertEquals(before, after);
  }
}
