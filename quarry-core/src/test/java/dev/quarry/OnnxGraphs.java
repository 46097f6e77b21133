package dev.quarry;

import ai.onnx.proto.OnnxMl;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Writes tiny ONNX graphs for tests of what Quarry does with unexpected models. */
public final class OnnxGraphs {
  private OnnxGraphs() {}

  /** A graph y = Identity(x) over int64 [batch, seq]: valid ONNX, but not a transformer. */
  public static void writeIdentity(Path file, String input, String output) {
    OnnxMl.TypeProto type = OnnxMl.TypeProto.newBuilder().setTensorType(OnnxMl.TypeProto.Tensor.newBuilder()
        .setElemType(OnnxMl.TensorProto.DataType.INT64.getNumber())
        .setShape(OnnxMl.TensorShapeProto.newBuilder()
            .addDim(OnnxMl.TensorShapeProto.Dimension.newBuilder().setDimParam("batch"))
            .addDim(OnnxMl.TensorShapeProto.Dimension.newBuilder().setDimParam("seq")))).build();
    OnnxMl.GraphProto graph = OnnxMl.GraphProto.newBuilder().setName("identity")
        .addInput(OnnxMl.ValueInfoProto.newBuilder().setName(input).setType(type))
        .addOutput(OnnxMl.ValueInfoProto.newBuilder().setName(output).setType(type))
        .addNode(OnnxMl.NodeProto.newBuilder().setOpType("Identity").addInput(input).addOutput(output))
        .build();
    OnnxMl.ModelProto model = OnnxMl.ModelProto.newBuilder().setIrVersion(8)
        .addOpsetImport(OnnxMl.OperatorSetIdProto.newBuilder().setVersion(17))
        .setGraph(graph).build();
    try {
      Files.createDirectories(file.getParent());
      Files.deleteIfExists(file);
      Files.write(file, model.toByteArray());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
