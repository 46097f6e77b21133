package dev.quarry.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.quarry.io.Json;
import dev.quarry.model.CrossEncoderFolder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * `quarry train-reranker` end to end on the bundled set: negatives mined by `quarry mine`, BCE with a
 * positive weight, the reranking evaluation over BM25 candidates, and a folder `quarry rerank` runs.
 */
@Tag("slow") // real models, fine-tunes: left out of the fast tier (-Pfast)
class TrainRerankerCommandTest {
  @Test
  void trainsOnMinedRowsEvaluatesTheRerankingAndSavesAReranker(@TempDir Path dir) throws Exception {
    Path mined = dir.resolve("mined.jsonl");
    QuarryCliTest.captureOut(() -> assertEquals(0, QuarryCli.run("mine", "-d", "ai-qa", "--source", "bm25", "--num-negatives", "2",
        "--format", "n-tuple", "-o", mined.toString())));
    Path out = dir.resolve("reranker");
    String printed = QuarryCliTest.captureOut(() -> assertEquals(0, QuarryCli.run("train-reranker", "-d", "ai-qa", "--train-file",
        mined.toString(), "--loss", "bce", "--pos-weight", "2", "--max-steps", "4", "--batch-size", "8", "--max-length", "96",
        "--eval-split", "test", "--first-stage", "bm25", "--eval-depth", "10", "--eval-steps", "2", "-o", out.toString())));
    assertTrue(printed.contains("first stage") && printed.contains("ndcg@10"), printed);
    for (String f : List.of("config.json", "model.safetensors", "onnx/model.onnx", "tokenizer.json", "tokenizer_config.json",
        "README.md", "training_log.jsonl", "training_curves.png")) {
      assertTrue(Files.isRegularFile(out.resolve(f)), "missing " + f);
    }
    String card = Files.readString(out.resolve("README.md"));
    assertTrue(card.contains("BinaryCrossEntropyLoss") && card.contains("'pos_weight': 2.0") && card.contains("| ndcg@10 |"), card);
    List<String> log = Files.readAllLines(out.resolve("training_log.jsonl"));
    assertEquals(4, log.stream().filter(l -> l.contains("\"type\":\"train\"")).count());
    assertEquals(3, log.stream().filter(l -> l.contains("\"type\":\"eval\"")).count()); // before, step 2, step 4
    Path passages = dir.resolve("passages.txt");
    Files.writeString(passages, "Dropout zeroes activations at random during training.\nParis is the capital of France.\n");
    String scores = QuarryCliTest.captureOut(() -> assertEquals(0, QuarryCli.run("rerank", "-m", out.toString(), "--scores",
        "what is dropout", passages.toString())));
    assertEquals(2, scores.strip().lines().count(), scores);
    String info = QuarryCliTest.captureOut(() -> assertEquals(0, QuarryCli.run("info", "-m", out.toString())));
    assertTrue(info.contains("CrossEncoder") && info.contains("Sigmoid"), info);
    assertEquals(96, CrossEncoderFolder.read(out, "trained").maxLength(), "the training length is the saved model's");

    // The reranker trained here scores the miner's candidates: its two best of BM25's top 12 per row, best first.
    Path reMined = dir.resolve("mined-ce.jsonl");
    String report = QuarryCliTest.captureOut(() -> assertEquals(0, QuarryCli.run("mine", "-d", "ai-qa", "--source", "bm25",
        "--num-negatives", "2", "--range-max", "12", "--format", "n-tuple", "--rerank", out.toString(), "-o", reMined.toString())));
    assertTrue(report.contains("scored by the cross-encoder"), report);
    List<String> rows = Files.readAllLines(reMined);
    assertTrue(rows.size() > 100, "only " + rows.size() + " rows");
    for (String line : rows.subList(0, 5)) {
      JsonNode row = Json.reader().readTree(line);
      Path negatives = dir.resolve("negatives.txt");
      Files.writeString(negatives, row.get("negative").get(0).asText().replaceAll("\\s+", " ") + "\n"
          + row.get("negative").get(1).asText().replaceAll("\\s+", " ") + "\n");
      String[] two = QuarryCliTest.captureOut(() -> assertEquals(0, QuarryCli.run("rerank", "-m", out.toString(), "--scores",
          row.get("anchor").asText(), negatives.toString()))).strip().split("\\s+");
      assertTrue(Double.parseDouble(two[0]) >= Double.parseDouble(two[1]), line + " -> " + String.join(" ", two));
    }
  }

  @Test
  void refusesWhatCannotTrainNamingTheCause(@TempDir Path dir) throws Exception {
    String allPositive = QuarryCliTest.captureErr(() -> assertEquals(2, QuarryCli.run("train-reranker", "-d", "ai-qa", "--loss", "bce",
        "-o", dir.resolve("a").toString())));
    assertTrue(allPositive.contains("labelled 1") && allPositive.contains("quarry mine"), allPositive);
    Path pairs = dir.resolve("pairs.tsv");
    Files.writeString(pairs, "query\tpassage\tlabel\nwhat is dropout\tDropout zeroes activations.\t1\nwhat is dropout\tParis.\tyes\n");
    String badLabel = QuarryCliTest.captureErr(() -> assertEquals(2, QuarryCli.run("train-reranker", "--pairs-file", pairs.toString(),
        "-o", dir.resolve("b").toString())));
    assertTrue(badLabel.contains(pairs + ":3") && badLabel.contains("'yes'"), badLabel);
    String both = QuarryCliTest.captureErr(() -> assertEquals(2, QuarryCli.run("train-reranker", "--pairs-file", pairs.toString(),
        "--train-file", pairs.toString(), "-o", dir.resolve("c").toString())));
    assertTrue(both.contains("exclude each other"), both);
    String unknown = QuarryCliTest.captureErr(() -> assertEquals(2, QuarryCli.run("train-reranker", "--loss", "lambda",
        "-o", dir.resolve("d").toString())));
    assertTrue(unknown.contains("bce, mnrl or listnet"), unknown);
  }
}
