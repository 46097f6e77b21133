package dev.quarry.cli;

import static dev.quarry.cli.QuarryCliTest.captureErr;
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

    // int8, as for bi-encoders: quarry quantize writes the file beside the cross-encoder, --onnx-file runs it.
    // The test head is random and steep (logits of several units), so int8 rounding of the encoder
    // moves its probabilities by up to ~0.15; a trained reranker's int8 quality is measured, not tested.
    String quantized = captureOut(() -> assertEquals(0, QuarryCli.run("quantize", "-m", ce.toString())));
    assertTrue(quantized.contains("quarry rerank --model"), quantized);
    String int8 = captureOut(() -> assertEquals(0, QuarryCli.run("rerank", "-m", ce.toString(), "--onnx-file",
        "model_qint8_avx512_vnni.onnx", "--scores", query, file.toString())));
    List<String> int8Lines = int8.strip().lines().toList();
    boolean moved = false;
    for (int i = 0; i < 3; i++) {
      float s8 = Float.parseFloat(int8Lines.get(i));
      assertEquals(want[i], s8, 0.25, "int8 score of passage " + i);
      moved |= s8 != want[i];
    }
    assertTrue(moved, "the int8 file was not the one run");

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

    // Fused with the first stage (RRF): the same ten candidates again, in a column of its own.
    String fused = captureOut(() -> assertEquals(0, QuarryCli.run("eval", "--score-functions", "dot", "--rerank", ce.toString(),
        "--rerank-depth", "10", "--rerank-fusion", "rrf")));
    assertTrue(fused.contains("dot+rerank-rrf"), fused);
    String fusedRecall = fused.lines().filter(l -> l.startsWith("| Recall@10 ")).findFirst().orElseThrow();
    assertEquals(fusedRecall.split("\\|")[2].strip(), fusedRecall.split("\\|")[3].strip(), fusedRecall);
    String typo = captureErr(() -> assertEquals(2, QuarryCli.run("search", "--rerank", ce.toString(), "--rerank-fusion", "rff", "q")));
    assertTrue(typo.contains("Unknown rerank fusion 'rff': use none or rrf."), typo);
  }
}
