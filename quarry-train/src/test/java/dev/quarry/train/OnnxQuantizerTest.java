package dev.quarry.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnx.proto.OnnxMl;
import dev.quarry.data.Corpus;
import dev.quarry.data.Document;
import dev.quarry.encode.RuntimeOptions;
import dev.quarry.encode.SentenceTransformer;
import dev.quarry.model.ModelFolder;
import dev.quarry.train.export.OnnxQuantizer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Dynamic int8 quantisation of a real model: the graph rewrite, and embeddings that stay close to fp32. */
class OnnxQuantizerTest {
  @TempDir Path tmp;

  @Test
  void everyWeightMatMulBecomesInt8AndEmbeddingsStayClose() throws IOException {
    Path folder = copy(dev.quarry.TestModels.folder(TestModels.MINILM), tmp.resolve("minilm"));
    Path target = folder.resolve("onnx").resolve(OnnxQuantizer.DEFAULT_FILE_NAME);
    OnnxQuantizer.Report r = OnnxQuantizer.quantize(folder.resolve("onnx/model.onnx"), target, true,
        OnnxQuantizer.Form.DYNAMIC_QUANTIZE_MATMUL);
    assertEquals(36, r.matMulsQuantized(), "6 layers x (Q, K, V, output, 2 feed-forward)");
    assertEquals(12, r.matMulsKept(), "the attention products have no weights");
    assertTrue(r.bytesAfter() < r.floatBytesBefore() * 0.7, r.toString());

    OnnxMl.ModelProto graph = OnnxMl.ModelProto.parseFrom(Files.readAllBytes(target));
    assertEquals(36, graph.getGraph().getNodeList().stream().filter(n -> n.getOpType().equals("DynamicQuantizeMatMul")).count());
    assertTrue(graph.getGraph().getInitializerList().stream().filter(t -> t.getDataType() == OnnxMl.TensorProto.DataType.INT8_VALUE)
        .count() == 36);

    ModelFolder fp32 = ModelFolder.read(folder, TestModels.MINILM);
    ModelFolder int8 = fp32.withOnnxFile(OnnxQuantizer.DEFAULT_FILE_NAME);
    assertEquals(List.of("onnx/model.onnx", "onnx/" + OnnxQuantizer.DEFAULT_FILE_NAME), fp32.onnxVariants());
    double[] cos = cosines(encode(fp32), encode(int8));
    System.out.printf(java.util.Locale.ROOT, "fp32 vs int8 (per channel), %d passages: min cosine %.4f, mean %.4f%n", cos.length,
        min(cos), mean(cos));
    // Published for ONNX dynamic int8 on MiniLM-class models: ~0.99 cosine to fp32.
    assertTrue(min(cos) > 0.97, "min cosine fp32 vs int8 " + min(cos));
    assertTrue(mean(cos) > 0.99, "mean cosine fp32 vs int8 " + mean(cos));
  }

  @Test
  void defaultStandardOperatorFormComputesTheSameAsTheContribOperator() throws IOException {
    Path folder = copy(dev.quarry.TestModels.folder(TestModels.MINILM), tmp.resolve("minilm"));
    OnnxQuantizer.quantize(folder.resolve("onnx/model.onnx"), folder.resolve("onnx/contrib.onnx"), true,
        OnnxQuantizer.Form.DYNAMIC_QUANTIZE_MATMUL);
    OnnxQuantizer.Report r = OnnxQuantizer.quantize(folder.resolve("onnx/model.onnx"), folder.resolve("onnx/standard.onnx"), true);
    assertEquals(36, r.matMulsQuantized());

    OnnxMl.ModelProto graph = OnnxMl.ModelProto.parseFrom(Files.readAllBytes(folder.resolve("onnx/standard.onnx")));
    assertEquals(36, graph.getGraph().getNodeList().stream().filter(n -> n.getOpType().equals("MatMulInteger")).count());
    // Q, K and V read one hidden state, so each layer quantises 4 activations, not 6.
    assertEquals(24, graph.getGraph().getNodeList().stream().filter(n -> n.getOpType().equals("DynamicQuantizeLinear")).count());
    assertTrue(graph.getGraph().getNodeList().stream().noneMatch(n -> n.getDomain().equals("com.microsoft")),
        "standard operators only");

    ModelFolder fp32 = ModelFolder.read(folder, TestModels.MINILM);
    float[][] contrib = encode(fp32.withOnnxFile("contrib.onnx"));
    double[] same = cosines(contrib, encode(fp32.withOnnxFile("standard.onnx")));
    // Same int8 weights and the same per-call uint8 activation quantisation: only summation order differs.
    assertTrue(min(same) > 0.9999, "contrib vs standard form, min cosine " + min(same));
    assertTrue(min(cosines(encode(fp32), contrib)) > 0.97);

    // The last layer's six weight MatMuls left float, by node name.
    OnnxQuantizer.Report kept = OnnxQuantizer.quantize(folder.resolve("onnx/model.onnx"), folder.resolve("onnx/mixed.onnx"), true,
        OnnxQuantizer.Form.DYNAMIC_QUANTIZE_MATMUL, java.util.regex.Pattern.compile("layer\\.5/"));
    assertEquals(30, kept.matMulsQuantized());
    assertEquals(12 + 6, kept.matMulsKept());
  }

  private static float[][] encode(ModelFolder folder) {
    List<String> texts = Corpus.read(Path.of("..", "datasets", "ai-qa", "corpus.jsonl")).documents().stream().limit(64)
        .map(Document::fullText).toList();
    try (SentenceTransformer m = SentenceTransformer.load(folder, RuntimeOptions.defaults())) {
      return m.encode(texts);
    }
  }

  private static double[] cosines(float[][] a, float[][] b) {
    double[] out = new double[a.length];
    for (int i = 0; i < a.length; i++) {
      out[i] = cosine(a[i], b[i]);
    }
    return out;
  }

  private static double min(double[] x) {
    return java.util.Arrays.stream(x).min().orElseThrow();
  }

  private static double mean(double[] x) {
    return java.util.Arrays.stream(x).average().orElseThrow();
  }

  static double cosine(float[] x, float[] y) {
    double d = 0;
    double nx = 0;
    double ny = 0;
    for (int i = 0; i < x.length; i++) {
      d += x[i] * y[i];
      nx += x[i] * x[i];
      ny += y[i] * y[i];
    }
    return d / Math.sqrt(nx * ny);
  }

  private static Path copy(Path from, Path to) throws IOException {
    try (Stream<Path> walk = Files.walk(from)) {
      for (Path p : (Iterable<Path>) walk::iterator) {
        Path t = to.resolve(from.relativize(p).toString());
        if (Files.isDirectory(p)) {
          Files.createDirectories(t);
        } else if (!p.getFileName().toString().contains("qint8")) {
          Files.copy(p, t);
        }
      }
    }
    return to;
  }
}
