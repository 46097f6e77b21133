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
    OnnxQuantizer.Report r = OnnxQuantizer.quantize(folder.resolve("onnx/model.onnx"), target, true);
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
    List<String> texts = Corpus.read(Path.of("..", "datasets", "ai-qa", "corpus.jsonl")).documents().stream().limit(64)
        .map(Document::fullText).toList();
    float[][] a;
    float[][] b;
    try (SentenceTransformer m = SentenceTransformer.load(fp32, RuntimeOptions.defaults());
        SentenceTransformer q = SentenceTransformer.load(int8, RuntimeOptions.defaults())) {
      a = m.encode(texts);
      b = q.encode(texts);
    }
    double min = 1;
    double sum = 0;
    for (int i = 0; i < texts.size(); i++) {
      double cos = cosine(a[i], b[i]);
      min = Math.min(min, cos);
      sum += cos;
    }
    System.out.printf(java.util.Locale.ROOT, "fp32 vs int8 (per channel), %d passages: min cosine %.4f, mean %.4f%n", texts.size(), min,
        sum / texts.size());
    // Published for ONNX dynamic int8 on MiniLM-class models: ~0.99 cosine to fp32.
    assertTrue(min > 0.97, "min cosine fp32 vs int8 " + min);
    assertTrue(sum / texts.size() > 0.99, "mean cosine fp32 vs int8 " + sum / texts.size());
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
