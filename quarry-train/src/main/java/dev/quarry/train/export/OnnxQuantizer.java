package dev.quarry.train.export;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.OperatorSetIdProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import com.google.protobuf.ByteString;
import dev.quarry.QuarryException;
import dev.quarry.QuarryFailure;
import dev.quarry.inference.OnnxWeights;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Dynamic int8 quantisation of an ONNX transformer, the rewrite ONNX Runtime's Python quantiser
 * ({@code quantize_dynamic}) and sentence-transformers' {@code export_dynamic_quantized_onnx_model}
 * make: every MatMul whose second input is a float weight becomes an integer MatMul (see {@link
 * Form}: standard operators by default, or ONNX Runtime's {@code DynamicQuantizeMatMul}). Its weight is stored as int8, symmetric
 * (zero point 0), with one scale per output column (per channel) or one for the whole matrix; its
 * activations are quantised to uint8 at run time, per call, so no calibration data is needed. The
 * U8S8 product runs on MLAS's integer GEMM (AVX-512 VNNI where the CPU has it).
 *
 * <p>Embeddings (Gather), LayerNorm, softmax and the rest stay float32: they are a small share of
 * the time and the most sensitive to rounding.
 *
 * <p>{@link Form#MATMUL_INTEGER} writes the same arithmetic in standard ONNX operators instead, as
 * {@code quantize_dynamic} itself does: {@code DynamicQuantizeLinear} (once per activation, shared by
 * the Q, K and V projections that read it), {@code MatMulInteger}, {@code Cast}, and a {@code Mul} by
 * the product of the two scales. Any ONNX runtime can run that file; ONNX Runtime fuses the chain into
 * its {@code MatMulIntegerToFloat} kernel at load time.
 */
public final class OnnxQuantizer {
  /** The file name sentence-transformers writes for this configuration. */
  public static final String DEFAULT_FILE_NAME = "model_qint8_avx512_vnni.onnx";
  private static final String MS_DOMAIN = "com.microsoft";

  private OnnxQuantizer() {}

  /**
   * How a quantised MatMul is written into the graph. {@link #MATMUL_INTEGER} is the default: it was
   * 5% faster on 256-token passages and 12% on queries than {@link #DYNAMIC_QUANTIZE_MATMUL}
   * (EncodeBenchmark, all-MiniLM-L6-v2, 2 cores), because Q, K and V share one quantisation of
   * their input, and it is the form {@code quantize_dynamic} writes.
   */
  public enum Form {
    /** One {@code com.microsoft} DynamicQuantizeMatMul node per MatMul (quantises its input itself). */
    DYNAMIC_QUANTIZE_MATMUL,
    /** Standard ONNX: DynamicQuantizeLinear (shared per input) → MatMulInteger → Cast → Mul. */
    MATMUL_INTEGER
  }

  /** What was rewritten. */
  public record Report(int matMulsQuantized, int matMulsKept, long floatBytesBefore, long bytesAfter) {}

  /**
   * Reads {@code source}, quantises its weight MatMuls and writes {@code target} (atomically).
   *
   * @param perChannel one scale per output column (better accuracy at no speed cost) instead of one per matrix
   */
  public static Report quantize(Path source, Path target, boolean perChannel) {
    return quantize(source, target, perChannel, Form.MATMUL_INTEGER);
  }

  /** As {@link #quantize(Path, Path, boolean)}, writing each quantised MatMul in the given form. */
  public static Report quantize(Path source, Path target, boolean perChannel, Form form) {
    return quantize(source, target, perChannel, form, null);
  }

  /**
   * As above, leaving float every MatMul whose node name {@code keepFloat} finds (e.g. {@code
   * layer\.11/} for the last layer, {@code /output/dense/} for the feed-forward outputs): what
   * {@code quantize_dynamic}'s {@code nodes_to_exclude} does, for layers too sensitive to rounding.
   */
  public static Report quantize(Path source, Path target, boolean perChannel, Form form, Pattern keepFloat) {
    return quantize(source, target, perChannel, form, keepFloat, false);
  }

  /**
   * As above, with {@code reduceRange} storing the weights in 7 bits ([-63, 63]) as {@code
   * quantize_dynamic(reduce_range=True)} does. CPUs with AVX2 but without VNNI multiply u8 × s8 with
   * {@code vpmaddubsw}, which adds two products in 16 bits and saturates: 255 × 127 × 2 is past
   * 32,767, so a full-range weight next to a large activation can clip a product sum (measured here:
   * one output −1.78 for −2.34). 7-bit weights cannot overflow (255 × 63 × 2 = 32,130), at the
   * price of one bit of weight precision. CPUs with VNNI or AVX-512 do not saturate.
   */
  public static Report quantize(Path source, Path target, boolean perChannel, Form form, Pattern keepFloat, boolean reduceRange) {
    ModelProto model = OnnxWeights.readModel(source);
    Map<String, TensorProto> inits = new HashMap<>();
    for (TensorProto t : model.getGraph().getInitializerList()) {
      inits.put(t.getName(), t);
    }
    // A weight shared with another node (tied embeddings) stays float for that node.
    Map<String, Integer> uses = new HashMap<>();
    for (NodeProto n : model.getGraph().getNodeList()) {
      for (String in : n.getInputList()) {
        uses.merge(in, 1, Integer::sum);
      }
    }
    ModelProto.Builder out = model.toBuilder();
    out.getGraphBuilder().clearNode();
    Set<String> replaced = new HashSet<>();
    Map<String, Integer> rewrittenUses = new HashMap<>(); // by weight: how many of its readers became integer MatMuls
    Set<String> quantizedInputs = new HashSet<>();
    int quantized = 0;
    int kept = 0;
    for (NodeProto n : model.getGraph().getNodeList()) {
      TensorProto w = n.getOpType().equals("MatMul") && n.getInputCount() == 2 ? inits.get(n.getInput(1)) : null;
      if (w == null || w.getDataType() != TensorProto.DataType.FLOAT_VALUE || w.getDimsCount() != 2
          || keepFloat != null && keepFloat.matcher(n.getName()).find()) {
        kept += n.getOpType().equals("MatMul") ? 1 : 0;
        out.getGraphBuilder().addNode(n);
        continue;
      }
      String name = w.getName();
      rewrittenUses.merge(name, 1, Integer::sum);
      if (!replaced.contains(name)) {
        for (TensorProto t : quantizeWeight(w, perChannel, reduceRange ? REDUCED_MAX : FULL_MAX)) {
          out.getGraphBuilder().addInitializer(t);
        }
        replaced.add(name);
      }
      String node = n.getName().isEmpty() ? name + "_quant" : n.getName() + "_quant";
      if (form == Form.DYNAMIC_QUANTIZE_MATMUL) {
        out.getGraphBuilder().addNode(NodeProto.newBuilder().setOpType("DynamicQuantizeMatMul").setDomain(MS_DOMAIN)
            .setName(node).addInput(n.getInput(0)).addInput(name + "_quantized").addInput(name + "_scale")
            .addOutput(n.getOutput(0)).build());
      } else {
        String input = n.getInput(0);
        if (quantizedInputs.add(input)) {
          out.getGraphBuilder().addNode(NodeProto.newBuilder().setOpType("DynamicQuantizeLinear").setName(input + "_dql")
              .addInput(input).addOutput(input + "_q").addOutput(input + "_q_scale").addOutput(input + "_q_zero").build());
        }
        out.getGraphBuilder().addNode(NodeProto.newBuilder().setOpType("MatMulInteger").setName(node)
            .addInput(input + "_q").addInput(name + "_quantized").addInput(input + "_q_zero")
            .addOutput(node + "_int32").build());
        out.getGraphBuilder().addNode(NodeProto.newBuilder().setOpType("Cast").setName(node + "_cast")
            .addInput(node + "_int32").addOutput(node + "_float")
            .addAttribute(AttributeProto.newBuilder().setName("to").setType(AttributeProto.AttributeType.INT)
                .setI(TensorProto.DataType.FLOAT_VALUE))
            .build());
        out.getGraphBuilder().addNode(NodeProto.newBuilder().setOpType("Mul").setName(node + "_scales")
            .addInput(input + "_q_scale").addInput(name + "_scale").addOutput(node + "_scale").build());
        out.getGraphBuilder().addNode(NodeProto.newBuilder().setOpType("Mul").setName(node + "_rescale")
            .addInput(node + "_float").addInput(node + "_scale").addOutput(n.getOutput(0)).build());
      }
      quantized++;
    }
    if (quantized == 0) {
      throw new QuarryException(source + " has no MatMul with a float weight matrix: nothing to quantise.");
    }
    // Drop the float weights no remaining node reads: a weight also read by a node left float (another
    // op, or a MatMul that --keep-float kept) stays.
    List<TensorProto> keptInits = out.getGraphBuilder().getInitializerList().stream()
        .filter(t -> !replaced.contains(t.getName()) || uses.getOrDefault(t.getName(), 0) > rewrittenUses.getOrDefault(t.getName(), 0))
        .toList();
    out.getGraphBuilder().clearInitializer().addAllInitializer(keptInits);
    if (form == Form.DYNAMIC_QUANTIZE_MATMUL && out.getOpsetImportList().stream().noneMatch(o -> o.getDomain().equals(MS_DOMAIN))) {
      out.addOpsetImport(OperatorSetIdProto.newBuilder().setDomain(MS_DOMAIN).setVersion(1));
    }
    write(out.build(), target);
    long before = sizeOf(source);
    return new Report(quantized, kept, before, sizeOf(target));
  }

  /** The largest |int8 weight|: full range, and 7 bits (see {@link #quantize(Path, Path, boolean, Form, Pattern, boolean)}). */
  static final int FULL_MAX = 127;

  static final int REDUCED_MAX = 63;

  /** int8 weights (symmetric, round to nearest) and their scales: one per column of [K, N], or one. */
  static List<TensorProto> quantizeWeight(TensorProto w, boolean perChannel) {
    return quantizeWeight(w, perChannel, FULL_MAX);
  }

  /** As above, with the weights in [-qmax, qmax]. */
  static List<TensorProto> quantizeWeight(TensorProto w, boolean perChannel, int qmax) {
    int k = (int) w.getDims(0);
    int cols = (int) w.getDims(1);
    float[] data = OnnxWeights.floats(w);
    float[] scales = new float[perChannel ? cols : 1];
    for (int r = 0; r < k; r++) {
      for (int c = 0; c < cols; c++) {
        int s = perChannel ? c : 0;
        scales[s] = Math.max(scales[s], Math.abs(data[r * cols + c]));
      }
    }
    for (int s = 0; s < scales.length; s++) {
      scales[s] = scales[s] == 0 ? 1f : scales[s] / qmax; // an all-zero column quantises to zeros
    }
    byte[] q = new byte[data.length];
    for (int r = 0; r < k; r++) {
      for (int c = 0; c < cols; c++) {
        int i = r * cols + c;
        q[i] = (byte) Math.max(-qmax, Math.min(qmax, Math.round(data[i] / scales[perChannel ? c : 0])));
      }
    }
    ByteBuffer sb = ByteBuffer.allocate(4 * scales.length).order(ByteOrder.LITTLE_ENDIAN);
    sb.asFloatBuffer().put(scales);
    TensorProto.Builder scale = TensorProto.newBuilder().setName(w.getName() + "_scale")
        .setDataType(TensorProto.DataType.FLOAT_VALUE).setRawData(ByteString.copyFrom(sb.array()));
    if (perChannel) {
      scale.addDims(cols);
    }
    TensorProto weights = TensorProto.newBuilder().setName(w.getName() + "_quantized").setDataType(TensorProto.DataType.INT8_VALUE)
        .addDims(k).addDims(cols).setRawData(ByteString.copyFrom(q)).build();
    return List.of(weights, scale.build());
  }

  private static void write(ModelProto model, Path target) {
    try {
      Files.createDirectories(target.toAbsolutePath().getParent());
      Path tmp = Files.createTempFile(target.toAbsolutePath().getParent(), target.getFileName().toString(), ".tmp");
      try (OutputStream os = new BufferedOutputStream(Files.newOutputStream(tmp), 1 << 20)) {
        model.writeTo(os);
      }
      Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (IOException e) {
      throw new QuarryFailure("Cannot write " + target + ": " + e.getMessage(), e);
    }
  }

  private static long sizeOf(Path p) {
    try {
      return Files.size(p);
    } catch (IOException e) {
      return -1;
    }
  }
}
