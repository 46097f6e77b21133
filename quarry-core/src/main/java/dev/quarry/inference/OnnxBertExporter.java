package dev.quarry.inference;

import ai.onnx.proto.OnnxMl;
import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import com.google.protobuf.ByteString;
import dev.quarry.io.Tensor;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * Writes a BERT encoder as an ONNX graph with the interface of transformers' exports (inputs
 * input_ids, attention_mask, token_type_ids [batch, sequence] int64; output last_hidden_state),
 * so that the inference path (ONNX Runtime) serves a fine-tuned or safetensors-only model.
 *
 * <p>Opset 17 (LayerNormalization), GELU as x·½(1 + erf(x/√2)) which ONNX Runtime fuses back.
 * Linear weights are stored [in, out] next to a named {@code X.bias}, as the transformers exporter
 * does, so {@link OnnxWeights} reads them back.
 */
public final class OnnxBertExporter {
  private final GraphProto.Builder graph = GraphProto.newBuilder().setName("bert");
  private int counter;

  private OnnxBertExporter() {}

  /** A feature-extraction graph: output {@code last_hidden_state} [batch, sequence, hidden]. */
  public static void export(BertConfig config, BertWeights weights, Path file) throws IOException {
    export(config, weights, 0, file);
  }

  /**
   * A sequence-classification graph, as transformers' {@code BertForSequenceClassification}: the
   * [CLS] state through the pooler ({@code pooler.dense}, tanh) and the {@code classifier} linear
   * layer; output {@code logits} [batch, numLabels]. {@code weights} must hold {@code
   * pooler.dense.*} and {@code classifier.*}.
   */
  public static void exportSequenceClassification(BertConfig config, BertWeights weights, int numLabels, Path file)
      throws IOException {
    if (numLabels <= 0) {
      throw new IllegalArgumentException("numLabels must be positive: " + numLabels);
    }
    export(config, weights, numLabels, file);
  }

  private static void export(BertConfig config, BertWeights weights, int numLabels, Path file) throws IOException {
    OnnxBertExporter ex = new OnnxBertExporter();
    ex.build(config, weights, numLabels);
    OnnxMl.ModelProto model = OnnxMl.ModelProto.newBuilder()
        .setIrVersion(8)
        .setProducerName("quarry")
        .addOpsetImport(OnnxMl.OperatorSetIdProto.newBuilder().setDomain("").setVersion(17))
        .setGraph(ex.graph)
        .build();
    Files.createDirectories(file.toAbsolutePath().getParent());
    try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(file), 1 << 20)) {
      model.writeTo(out);
    }
  }

  private void build(BertConfig c, BertWeights w, int numLabels) {
    graph.addInput(valueInfo("input_ids", TensorProto.DataType.INT64, "batch_size", "sequence_length"));
    graph.addInput(valueInfo("attention_mask", TensorProto.DataType.INT64, "batch_size", "sequence_length"));
    graph.addInput(valueInfo("token_type_ids", TensorProto.DataType.INT64, "batch_size", "sequence_length"));
    if (numLabels == 0) {
      graph.addOutput(valueInfo("last_hidden_state", TensorProto.DataType.FLOAT, "batch_size", "sequence_length",
          String.valueOf(c.hiddenSize())));
    } else {
      graph.addOutput(valueInfo("logits", TensorProto.DataType.FLOAT, "batch_size", String.valueOf(numLabels)));
    }

    // Embeddings: word + position (0..seq-1) + token type, then LayerNorm.
    String seqLen = node("Gather", List.of(node("Shape", List.of("input_ids")), constLong(1)), axis(0));
    String positions = node("Unsqueeze", List.of(node("Range", List.of(constLong(0), seqLen, constLong(1))), constLongs(0)));
    String word = node("Gather", List.of(weight(w, "embeddings.word_embeddings.weight"), "input_ids"));
    String pos = node("Gather", List.of(weight(w, "embeddings.position_embeddings.weight"), positions));
    String type = node("Gather", List.of(weight(w, "embeddings.token_type_embeddings.weight"), "token_type_ids"));
    String x = layerNorm(node("Add", List.of(node("Add", List.of(word, pos)), type)), w, "embeddings.LayerNorm", c);

    // Additive attention mask [batch, 1, 1, seq]: 0 for tokens, float minimum for padding.
    String maskF = node("Cast", List.of("attention_mask"), AttributeProto.newBuilder().setName("to")
        .setType(AttributeProto.AttributeType.INT).setI(TensorProto.DataType.FLOAT.getNumber()).build());
    String inverted = node("Sub", List.of(constFloat(1f), maskF));
    String maskBias = node("Unsqueeze", List.of(node("Mul", List.of(inverted, constFloat(-Float.MAX_VALUE))), constLongs(1, 2)));

    int heads = c.numAttentionHeads();
    int d = c.headSize();
    String splitHeads = constLongs(0, 0, heads, d);
    String mergeHeads = constLongs(0, 0, c.hiddenSize());
    for (int i = 0; i < c.numHiddenLayers(); i++) {
      String p = "encoder.layer." + i + ".";
      String q = node("Transpose", List.of(node("Reshape", List.of(linear(x, w, p + "attention.self.query"), splitHeads))), perm(0, 2, 1, 3));
      String k = node("Transpose", List.of(node("Reshape", List.of(linear(x, w, p + "attention.self.key"), splitHeads))), perm(0, 2, 3, 1));
      String v = node("Transpose", List.of(node("Reshape", List.of(linear(x, w, p + "attention.self.value"), splitHeads))), perm(0, 2, 1, 3));
      String scores = node("Add", List.of(node("Mul", List.of(node("MatMul", List.of(q, k)), constFloat((float) (1 / Math.sqrt(d))))), maskBias));
      String probs = node("Softmax", List.of(scores), AttributeProto.newBuilder().setName("axis")
          .setType(AttributeProto.AttributeType.INT).setI(-1).build());
      String context = node("Reshape", List.of(node("Transpose", List.of(node("MatMul", List.of(probs, v))), perm(0, 2, 1, 3)), mergeHeads));
      String attn = layerNorm(node("Add", List.of(linear(context, w, p + "attention.output.dense"), x)), w, p + "attention.output.LayerNorm", c);
      String inter = activation(linear(attn, w, p + "intermediate.dense"), c.hiddenAct());
      x = layerNorm(node("Add", List.of(linear(inter, w, p + "output.dense"), attn)), w, p + "output.LayerNorm", c);
    }
    if (numLabels == 0) {
      graph.addNode(NodeProto.newBuilder().setOpType("Identity").addInput(x).addOutput("last_hidden_state").setName("output"));
      return;
    }
    // BertPooler: the first token's state, dense + tanh; then the classifier (dropout is off at inference).
    String cls = node("Gather", List.of(x, constLong(0)), axis(1));
    String pooled = node("Tanh", List.of(linear(cls, w, "pooler.dense")));
    graph.addNode(NodeProto.newBuilder().setOpType("Identity").addInput(linear(pooled, w, "classifier")).addOutput("logits")
        .setName("output"));
  }

  private String activation(String x, String act) {
    switch (act) {
      case "relu":
        return node("Relu", List.of(x));
      case "gelu": {
        String erf = node("Erf", List.of(node("Div", List.of(x, constFloat((float) Math.sqrt(2))))));
        return node("Mul", List.of(node("Mul", List.of(x, node("Add", List.of(erf, constFloat(1f))))), constFloat(0.5f)));
      }
      default: { // tanh approximation
        String cube = node("Mul", List.of(node("Mul", List.of(x, x)), x));
        String inner = node("Mul", List.of(node("Add", List.of(x, node("Mul", List.of(cube, constFloat(0.044715f))))),
            constFloat((float) Math.sqrt(2 / Math.PI))));
        String t = node("Tanh", List.of(inner));
        return node("Mul", List.of(node("Mul", List.of(x, node("Add", List.of(t, constFloat(1f))))), constFloat(0.5f)));
      }
    }
  }

  private String linear(String x, BertWeights w, String name) {
    Tensor weight = w.get(name + ".weight").transpose2d(); // [out, in] -> [in, out]
    String wt = initializer(name + ".weight_t", weight);
    String mm = node("MatMul", List.of(x, wt));
    return node("Add", List.of(mm, weight(w, name + ".bias")));
  }

  private String layerNorm(String x, BertWeights w, String name, BertConfig c) {
    return node("LayerNormalization", List.of(x, weight(w, name + ".weight"), weight(w, name + ".bias")),
        AttributeProto.newBuilder().setName("axis").setType(AttributeProto.AttributeType.INT).setI(-1).build(),
        AttributeProto.newBuilder().setName("epsilon").setType(AttributeProto.AttributeType.FLOAT).setF((float) c.layerNormEps()).build());
  }

  private String weight(BertWeights w, String name) {
    return initializer(name, w.get(name));
  }

  private String initializer(String name, Tensor t) {
    ByteBuffer buf = ByteBuffer.allocate(4 * t.data().length).order(ByteOrder.LITTLE_ENDIAN);
    buf.asFloatBuffer().put(t.data());
    TensorProto.Builder tp = TensorProto.newBuilder().setName(name).setDataType(TensorProto.DataType.FLOAT.getNumber())
        .setRawData(ByteString.copyFrom(buf.array()));
    for (long dim : t.shape()) {
      tp.addDims(dim);
    }
    graph.addInitializer(tp);
    return name;
  }

  private String constLong(long v) {
    String name = "const_" + counter++;
    graph.addInitializer(TensorProto.newBuilder().setName(name).setDataType(TensorProto.DataType.INT64.getNumber())
        .setRawData(ByteString.copyFrom(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(v).array())));
    return name;
  }

  private String constLongs(long... v) {
    String name = "const_" + counter++;
    ByteBuffer buf = ByteBuffer.allocate(8 * v.length).order(ByteOrder.LITTLE_ENDIAN);
    for (long x : v) {
      buf.putLong(x);
    }
    graph.addInitializer(TensorProto.newBuilder().setName(name).setDataType(TensorProto.DataType.INT64.getNumber())
        .addDims(v.length).setRawData(ByteString.copyFrom(buf.array())));
    return name;
  }

  private String constFloat(float v) {
    String name = "const_" + counter++;
    graph.addInitializer(TensorProto.newBuilder().setName(name).setDataType(TensorProto.DataType.FLOAT.getNumber())
        .setRawData(ByteString.copyFrom(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putFloat(v).array())));
    return name;
  }

  private static AttributeProto axis(int axis) {
    return AttributeProto.newBuilder().setName("axis").setType(AttributeProto.AttributeType.INT).setI(axis).build();
  }

  private static AttributeProto perm(long... perm) {
    AttributeProto.Builder b = AttributeProto.newBuilder().setName("perm").setType(AttributeProto.AttributeType.INTS);
    for (long p : perm) {
      b.addInts(p);
    }
    return b.build();
  }

  private String node(String op, List<String> inputs, AttributeProto... attributes) {
    String out = op.toLowerCase(Locale.ROOT) + "_" + counter++;
    NodeProto.Builder n = NodeProto.newBuilder().setOpType(op).setName(out).addAllInput(inputs).addOutput(out);
    for (AttributeProto a : attributes) {
      n.addAttribute(a);
    }
    graph.addNode(n);
    return out;
  }

  private static OnnxMl.ValueInfoProto valueInfo(String name, TensorProto.DataType type, String... dims) {
    OnnxMl.TensorShapeProto.Builder shape = OnnxMl.TensorShapeProto.newBuilder();
    for (String d : dims) {
      OnnxMl.TensorShapeProto.Dimension.Builder dim = OnnxMl.TensorShapeProto.Dimension.newBuilder();
      if (d.chars().allMatch(Character::isDigit)) {
        dim.setDimValue(Long.parseLong(d));
      } else {
        dim.setDimParam(d);
      }
      shape.addDim(dim);
    }
    return OnnxMl.ValueInfoProto.newBuilder().setName(name)
        .setType(OnnxMl.TypeProto.newBuilder().setTensorType(OnnxMl.TypeProto.Tensor.newBuilder()
            .setElemType(type.getNumber()).setShape(shape))).build();
  }
}
