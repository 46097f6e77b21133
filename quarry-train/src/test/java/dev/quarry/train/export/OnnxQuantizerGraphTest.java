package dev.quarry.train.export;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.OperatorSetIdProto;
import ai.onnx.proto.OnnxMl.StringStringEntryProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.TensorShapeProto;
import ai.onnx.proto.OnnxMl.TypeProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import com.google.protobuf.ByteString;
import dev.quarry.QuarryException;
import dev.quarry.TestModels;
import dev.quarry.inference.OnnxWeights;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The quantiser's graph handling on graphs built for the purpose: a weight shared with a MatMul that
 * {@code --keep-float} keeps, one scale per matrix, and weights an exporter stored as external data.
 */
class OnnxQuantizerGraphTest {
  /** X [2, 4] times W [4, 3]. */
  private static final float[] X = {0.5f, -1f, 2f, 0.25f, -0.75f, 1.5f, 0.1f, -2f};
  private static final float[] W = {0.9f, -0.3f, 0.05f, -0.6f, 0.2f, 0.7f, 0.33f, -0.01f, -0.8f, 0.12f, 0.45f, -0.27f};

  @TempDir Path tmp;

  /** Before the fix the float W was dropped because both of its readers were MatMuls: the file did not load. */
  @Test
  void aWeightSharedWithAMatMulKeptFloatStaysInTheGraph() throws Exception {
    Path source = tinyGraph(tmp.resolve("shared.onnx"));
    Path target = tmp.resolve("shared-int8.onnx");
    // 7-bit weights: exact enough on every CPU (full range saturates on AVX2 without VNNI, see the last test).
    OnnxQuantizer.Report r = OnnxQuantizer.quantize(source, target, true, OnnxQuantizer.Form.MATMUL_INTEGER, Pattern.compile("^keep$"),
        true);
    assertEquals(1, r.matMulsQuantized());
    assertEquals(1, r.matMulsKept());
    Map<String, float[]> out = run(target);
    float[] exact = matmul(X, W);
    assertEquals(0f, maxAbsDiff(out.get("Yb"), exact), 1e-6f, "the kept MatMul reads the float weight");
    float[] ya = out.get("Ya");
    assertTrue(maxAbsDiff(ya, exact) < 0.05f && maxAbsDiff(ya, exact) > 0f, "the int8 MatMul is close to, not equal to, float: "
        + java.util.Arrays.toString(ya) + " vs " + java.util.Arrays.toString(exact));
  }

  /** One scale for the whole matrix: max |w| / 127, values rounded to it; and the file computes X·W within it. */
  @Test
  void perTensorScalesQuantiseTheWholeMatrixWithOneScale() throws Exception {
    TensorProto w = floatTensor("W", new long[] {4, 3}, W);
    List<TensorProto> q = OnnxQuantizer.quantizeWeight(w, false);
    TensorProto scale = q.get(1);
    assertEquals(0, scale.getDimsCount(), "a scalar scale");
    float s = OnnxWeights.floats(scale)[0];
    assertEquals(0.9f / 127f, s, 1e-9f);
    byte[] ints = q.get(0).getRawData().toByteArray();
    for (int i = 0; i < W.length; i++) {
      assertEquals(Math.round(W[i] / s), ints[i], "element " + i);
    }
    assertEquals(127, ints[0], "the largest |w| maps to 127");

    List<TensorProto> reduced = OnnxQuantizer.quantizeWeight(w, false, OnnxQuantizer.REDUCED_MAX);
    assertEquals(0.9f / 63f, OnnxWeights.floats(reduced.get(1))[0], 1e-9f);
    assertEquals(63, reduced.get(0).getRawData().byteAt(0));

    for (OnnxQuantizer.Form form : OnnxQuantizer.Form.values()) {
      Path target = tmp.resolve("per-tensor-" + form + ".onnx");
      OnnxQuantizer.quantize(tinyGraph(tmp.resolve("g-" + form + ".onnx")), target, false, form, null, true);
      float[] got = run(target).get("Ya");
      // Weight rounding ≤ s/2 per element, activation rounding ≤ its own step / 2: both small against |X·W| here.
      assertTrue(maxAbsDiff(got, matmul(X, W)) < 0.05f, form + ": " + java.util.Arrays.toString(got) + " vs "
          + java.util.Arrays.toString(matmul(X, W)));
    }
  }

  /**
   * An export with its weights in {@code model.onnx_data} (what exporters write for large models):
   * the quantiser reads them in and writes the very file it writes for the single-file export.
   * Before the fix they read back as empty tensors.
   */
  @Test
  void weightsStoredAsExternalDataAreReadIn() throws IOException {
    Path single = TestModels.folder(TestModels.MINILM).resolve("onnx/model.onnx");
    Path dir = Files.createDirectories(tmp.resolve("external"));
    Path split = dir.resolve("model.onnx");
    ModelProto model = OnnxWeights.readModel(single);
    ModelProto.Builder b = model.toBuilder();
    GraphProto.Builder g = b.getGraphBuilder();
    long offset = 0;
    int moved = 0;
    try (OutputStream data = Files.newOutputStream(dir.resolve("model.onnx_data"))) {
      for (int i = 0; i < g.getInitializerCount(); i++) {
        TensorProto t = g.getInitializer(i);
        if (t.getRawData().size() < 1024) {
          continue;
        }
        byte[] bytes = t.getRawData().toByteArray();
        data.write(bytes);
        g.setInitializer(i, t.toBuilder().clearRawData().setDataLocation(TensorProto.DataLocation.EXTERNAL)
            .addExternalData(entry("location", "model.onnx_data")).addExternalData(entry("offset", Long.toString(offset)))
            .addExternalData(entry("length", Integer.toString(bytes.length))).build());
        offset += bytes.length;
        moved++;
      }
    }
    Files.write(split, b.build().toByteArray());
    assertTrue(moved > 40 && Files.size(split) < 1_000_000, "the weights live in model.onnx_data now: " + Files.size(split));

    Path fromSingle = tmp.resolve("from-single.onnx");
    Path fromSplit = tmp.resolve("from-split.onnx");
    OnnxQuantizer.Report a = OnnxQuantizer.quantize(single, fromSingle, true);
    OnnxQuantizer.Report c = OnnxQuantizer.quantize(split, fromSplit, true);
    assertEquals(a.matMulsQuantized(), c.matMulsQuantized());
    assertEquals(-1L, Files.mismatch(fromSingle, fromSplit), "the same quantised file from either layout");

    Files.delete(dir.resolve("model.onnx_data"));
    QuarryException e = assertThrows(QuarryException.class, () -> OnnxQuantizer.quantize(split, tmp.resolve("x.onnx"), true));
    assertTrue(e.getMessage().contains("model.onnx_data") && e.getMessage().contains("missing"), e.getMessage());
  }

  /**
   * Full-range weights meet the CPU's u8 × s8 kernel: on AVX2 without VNNI two products are added in
   * 16 bits and saturate (this input: 255 × −127 + 144 × −43 = −38,577 past −32,768). 7-bit weights
   * never do, on any CPU; full range is exact only where the CPU accumulates in 32 bits.
   */
  @Test
  void reducedRangeWeightsNeverSaturateTheIntegerProduct() throws Exception {
    float[] exact = matmul(X, W);
    for (OnnxQuantizer.Form form : OnnxQuantizer.Form.values()) {
      Path target = tmp.resolve("reduced-" + form + ".onnx");
      OnnxQuantizer.quantize(tinyGraph(tmp.resolve("r-" + form + ".onnx")), target, true, form, null, true);
      float[] got = run(target).get("Ya");
      assertTrue(maxAbsDiff(got, exact) < 0.05f, form + ": " + java.util.Arrays.toString(got) + " vs " + java.util.Arrays.toString(exact));
    }
    Path full = tmp.resolve("full.onnx");
    OnnxQuantizer.quantize(tinyGraph(tmp.resolve("f.onnx")), full, true, OnnxQuantizer.Form.MATMUL_INTEGER, null, false);
    float element = run(full).get("Ya")[2];
    boolean saturated = Math.abs(element - exact[2]) > 0.3f;
    System.out.printf(java.util.Locale.ROOT, "full-range int8, output [0][2]: %.4f for %.4f (%s)%n", element, exact[2],
        saturated ? "saturated: AVX2 without VNNI" : "not saturated: 32-bit accumulation");
    assertTrue(saturated || Math.abs(element - exact[2]) < 0.05f, "either saturated or exact, nothing in between: " + element);
  }

  /** X → MatMul "a" (W) → Ya and X → MatMul "keep" (W) → Yb: one weight, two readers. */
  private static Path tinyGraph(Path file) throws IOException {
    GraphProto graph = GraphProto.newBuilder().setName("shared")
        .addInput(valueInfo("X", 2, 4)).addOutput(valueInfo("Ya", 2, 3)).addOutput(valueInfo("Yb", 2, 3))
        .addInitializer(floatTensor("W", new long[] {4, 3}, W))
        .addNode(NodeProto.newBuilder().setOpType("MatMul").setName("a").addInput("X").addInput("W").addOutput("Ya"))
        .addNode(NodeProto.newBuilder().setOpType("MatMul").setName("keep").addInput("X").addInput("W").addOutput("Yb"))
        .build();
    ModelProto model = ModelProto.newBuilder().setIrVersion(8).setProducerName("quarry-test")
        .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(13)).setGraph(graph).build();
    Files.write(file, model.toByteArray());
    return file;
  }

  private static Map<String, float[]> run(Path file) throws OrtException {
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    try (OrtSession s = env.createSession(file.toString(), new OrtSession.SessionOptions());
        OnnxTensor x = OnnxTensor.createTensor(env, FloatBuffer.wrap(X), new long[] {2, 4});
        OrtSession.Result r = s.run(Map.of("X", x))) {
      Map<String, float[]> out = new java.util.HashMap<>();
      for (Map.Entry<String, ai.onnxruntime.OnnxValue> e : r) {
        FloatBuffer fb = ((OnnxTensor) e.getValue()).getFloatBuffer();
        float[] v = new float[fb.remaining()];
        fb.get(v);
        out.put(e.getKey(), v);
      }
      return out;
    }
  }

  private static TensorProto floatTensor(String name, long[] dims, float[] values) {
    ByteBuffer buf = ByteBuffer.allocate(4 * values.length).order(ByteOrder.LITTLE_ENDIAN);
    for (float v : values) {
      buf.putFloat(v);
    }
    TensorProto.Builder t = TensorProto.newBuilder().setName(name).setDataType(TensorProto.DataType.FLOAT_VALUE)
        .setRawData(ByteString.copyFrom(buf.array()));
    for (long d : dims) {
      t.addDims(d);
    }
    return t.build();
  }

  private static ValueInfoProto valueInfo(String name, long rows, long cols) {
    TensorShapeProto shape = TensorShapeProto.newBuilder().addDim(TensorShapeProto.Dimension.newBuilder().setDimValue(rows))
        .addDim(TensorShapeProto.Dimension.newBuilder().setDimValue(cols)).build();
    return ValueInfoProto.newBuilder().setName(name).setType(TypeProto.newBuilder().setTensorType(
        TypeProto.Tensor.newBuilder().setElemType(TensorProto.DataType.FLOAT_VALUE).setShape(shape))).build();
  }

  private static StringStringEntryProto entry(String k, String v) {
    return StringStringEntryProto.newBuilder().setKey(k).setValue(v).build();
  }

  private static float[] matmul(float[] x, float[] w) {
    float[] y = new float[6];
    for (int i = 0; i < 2; i++) {
      for (int j = 0; j < 3; j++) {
        float s = 0;
        for (int k = 0; k < 4; k++) {
          s += x[i * 4 + k] * w[k * 3 + j];
        }
        y[i * 3 + j] = s;
      }
    }
    return y;
  }

  private static float maxAbsDiff(float[] a, float[] b) {
    float m = 0;
    for (int i = 0; i < a.length; i++) {
      m = Math.max(m, Math.abs(a[i] - b[i]));
    }
    return m;
  }
}
