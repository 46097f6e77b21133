package dev.quarry.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.quarry.io.Json;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class QuarryCliTest {
  @TempDir Path tmp;

  @Test
  void encodesJsonlIntoANumpyMatrix() throws Exception {
    Path in = tmp.resolve("docs.jsonl");
    Files.writeString(in, "{\"_id\": \"a\", \"text\": \"first passage\"}\n{\"_id\": \"b\", \"text\": \"second passage\"}\n");
    Path out = tmp.resolve("emb.npy");
    assertEquals(0, QuarryCli.run("encode", in.toString(), "-o", out.toString(), "--truncate-dim", "64"));
    byte[] npy = Files.readAllBytes(out);
    String header = new String(npy, 10, npy[8] & 0xff, StandardCharsets.US_ASCII);
    assertTrue(header.contains("'descr': '<f4'") && header.contains("'shape': (2, 64)"), header);
    assertEquals(0, (10 + header.length()) % 64, "NPY data starts 64-byte aligned");
    assertEquals(npy.length, 10 + header.length() + 2 * 64 * 4);
    float first = ByteBuffer.wrap(npy, 10 + header.length(), 4).order(ByteOrder.LITTLE_ENDIAN).getFloat();
    assertTrue(Float.isFinite(first) && first != 0f);
  }

  @Test
  void encodesPlainTextToJsonlWithIdsAndQuantisedValues() throws Exception {
    Path in = tmp.resolve("lines.txt");
    Files.writeString(in, "one\ntwo\nthree\n");
    Path out = tmp.resolve("out.jsonl");
    assertEquals(0, QuarryCli.run("encode", in.toString(), "-o", out.toString(), "--precision", "ubinary"));
    List<String> lines = Files.readAllLines(out);
    assertEquals(3, lines.size());
    JsonNode row = Json.reader().readTree(lines.get(2));
    assertEquals("2", row.get("id").asText());
    assertEquals(48, row.get("embedding").size());
  }

  @Test
  void malformedJsonlNamesFileAndLineAndWritesNothing() throws Exception {
    Path in = tmp.resolve("bad.jsonl");
    Files.writeString(in, "{\"text\": \"ok\"}\n{\"text\": \"broken\"\n");
    Path out = tmp.resolve("out.jsonl");
    String err = captureErr(() -> assertEquals(2, QuarryCli.run("encode", in.toString(), "-o", out.toString())));
    assertTrue(err.contains("bad.jsonl line 2") && err.contains("malformed JSON"), err);
    assertTrue(!Files.exists(out));
  }

  @Test
  void invalidUtf8IsReportedWithItsLine() throws Exception {
    Path in = tmp.resolve("latin1.txt");
    Files.write(in, new byte[] {'o', 'k', '\n', 'c', 'a', 'f', (byte) 0xe9, '\n'});
    String err = captureErr(() -> assertEquals(2, QuarryCli.run("encode", in.toString())));
    assertTrue(err.contains("line 2") && err.contains("UTF-8"), err);
  }

  @Test
  void similarityPrintsTheScore() throws Exception {
    String out = captureOut(() -> assertEquals(0, QuarryCli.run("similarity", "The weather is lovely today.", "It's so sunny outside!")));
    assertEquals(0.666, Double.parseDouble(out.strip()), 1e-3);
  }

  /** Machine-read numbers keep a decimal point under a locale whose decimal separator is a comma. */
  @Test
  void numbersIgnoreTheDefaultLocale() throws Exception {
    java.util.Locale before = java.util.Locale.getDefault();
    java.util.Locale.setDefault(java.util.Locale.GERMANY);
    try {
      assertEquals("0,5000", String.format("%.4f", 0.5), "the JVM's default formatting should use a comma here");
      String out = captureOut(() -> assertEquals(0, QuarryCli.run("similarity", "The weather is lovely today.", "It's so sunny outside!")));
      assertTrue(out.strip().matches("0\\.\\d{4}"), out);
    } finally {
      java.util.Locale.setDefault(before);
    }
  }

  @Test
  void modelsListsTheBuiltIns() throws Exception {
    String out = captureOut(() -> assertEquals(0, QuarryCli.run("models")));
    assertTrue(out.contains("BAAI/bge-small-en-v1.5") && out.contains("cls") && out.contains("512"), out);
  }

  @Test
  void infoDescribesAnyKindAndEncodeRefusesACrossEncoderInOneLine() throws Exception {
    String builtin = captureOut(() -> assertEquals(0, QuarryCli.run("info", "-m", "all-MiniLM-L6-v2")));
    assertTrue(builtin.contains("SentenceTransformer") && builtin.contains("256  (sentence_bert_config.json max_seq_length)")
        && builtin.contains("Transformer -> Pooling [1_Pooling] -> Normalize [2_Normalize]") && builtin.contains("onnx/model.onnx"), builtin);
    // A classic cross-encoder folder (as cross-encoder/ms-marco-MiniLM-L6-v2 is laid out): no modules.json.
    Path ce = Files.createDirectories(tmp.resolve("ce"));
    Files.writeString(ce.resolve("config.json"), "{\"architectures\": [\"BertForSequenceClassification\"], \"model_type\": \"bert\","
        + " \"num_labels\": 1, \"id2label\": {\"0\": \"LABEL_0\"}, \"hidden_size\": 384,"
        + " \"sentence_transformers\": {\"activation_fn\": \"torch.nn.modules.activation.Sigmoid\"}}");
    String info = captureOut(() -> assertEquals(0, QuarryCli.run("info", "-m", ce.toString())));
    assertTrue(info.contains("CrossEncoder") && info.contains("BertForSequenceClassification") && info.contains("Sigmoid")
        && info.contains("loads in Quarry  as a reranker"), info);
    Path in = tmp.resolve("texts.txt");
    Files.writeString(in, "one\n");
    String err = captureErr(() -> assertEquals(2, QuarryCli.run("encode", "-m", ce.toString(), in.toString())));
    assertTrue(err.contains("CrossEncoder") && err.contains("quarry info"), err);
    assertEquals(1, err.strip().lines().count(), err);
  }

  static String captureOut(Runnable r) {
    return capture(r, false);
  }

  static String captureErr(Runnable r) {
    return capture(r, true);
  }

  /** Runs {@code r} with stdout or stderr redirected and returns what it printed there. */
  private static String capture(Runnable r, boolean err) {
    PrintStream old = err ? System.err : System.out;
    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    PrintStream into = new PrintStream(buf, true, StandardCharsets.UTF_8);
    if (err) {
      System.setErr(into);
    } else {
      System.setOut(into);
    }
    try {
      r.run();
    } finally {
      if (err) {
        System.setErr(old);
      } else {
        System.setOut(old);
      }
    }
    return buf.toString(StandardCharsets.UTF_8);
  }
}
