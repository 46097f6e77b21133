package dev.quarry.cli;

import static dev.quarry.cli.QuarryCliTest.captureOut;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.quarry.TestModels;
import dev.quarry.encode.RuntimeOptions;
import dev.quarry.model.CrossEncoderFolder;
import dev.quarry.rerank.CrossEncoder;
import dev.quarry.rerank.TextPair;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The rerank stage from the command line: quarry rerank, and --rerank on search and eval (bundled ai-qa set). */
class RerankCommandTest {
  @TempDir Path tmp;

  @Test
  void rerankScoresAsTheLibraryAndSearchAndEvalRerankTheFirstStage() throws Exception {
    Path ce = TestModels.crossEncoder(tmp.resolve("ce"), 1, null);
    List<String> passages = List.of("Dropout randomly zeroes activations during training.", "BM25 ranks by term frequency.",
        "Weight decay shrinks weights.");
    Path file = tmp.resolve("passages.txt");
    Files.write(file, passages);
    String query = "What does dropout do?";
    String out = captureOut(() -> assertEquals(0, QuarryCli.run("rerank", "-m", ce.toString(), "--scores", query, file.toString())));
    float[] want;
    try (CrossEncoder lib = CrossEncoder.load(CrossEncoderFolder.read(ce, "ce"), RuntimeOptions.defaults())) {
      want = lib.predict(passages.stream().map(p -> new TextPair(query, p)).toList());
    }
    List<String> lines = out.strip().lines().toList();
    assertEquals(3, lines.size(), out);
    for (int i = 0; i < 3; i++) {
      assertEquals(want[i], Float.parseFloat(lines.get(i)), 0f, "passage " + i);
    }

    String search = captureOut(() -> assertEquals(0, QuarryCli.run("search", "--rerank", ce.toString(), "--rerank-depth", "10",
        "-k", "3", "Why warm up the learning rate?")));
    assertTrue(search.contains("reranked by ce") && search.contains("[rerank ") && search.contains(", was #"), search);
    assertEquals(3, search.lines().filter(l -> l.matches("\\s*\\d+\\. \\[rerank .*")).count(), search);

    // With depth 10 the reranked list holds the same ten candidates: recall@10 cannot change, the order can.
    String eval = captureOut(() -> assertEquals(0, QuarryCli.run("eval", "--score-functions", "dot", "--rerank", ce.toString(),
        "--rerank-depth", "10")));
    assertTrue(eval.contains("dot+rerank"), eval);
    String recall = eval.lines().filter(l -> l.startsWith("| Recall@10 ")).findFirst().orElseThrow();
    String[] cells = recall.split("\\|");
    assertEquals(cells[2].strip(), cells[3].strip(), recall);
  }
}
