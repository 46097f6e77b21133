package dev.quarry.inference;

import ai.onnx.proto.OnnxMl;
import com.google.protobuf.ByteString;
import com.google.protobuf.CodedInputStream;
import dev.quarry.QuarryException;
import dev.quarry.QuarryFailure;
import dev.quarry.io.Tensor;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Recovers a BERT's weights, under their Hugging Face names, from a transformers ONNX export.
 *
 * <p>Embeddings, LayerNorm parameters and biases are named initializers in such exports, but the
 * Linear weights are anonymous ({@code onnx::MatMul_NNN}, stored [in, out]) because the exporter
 * folded the transpose. Their identity follows from the graph: a MatMul whose output feeds an Add
 * with the named {@code X.bias} multiplies by {@code X.weight} transposed.
 */
public final class OnnxWeights {
  private OnnxWeights() {}

  public static Map<String, Tensor> read(Path file) {
    OnnxMl.ModelProto model = readModel(file);
    OnnxMl.GraphProto graph = model.getGraph();
    Map<String, OnnxMl.TensorProto> inits = new HashMap<>();
    for (OnnxMl.TensorProto t : graph.getInitializerList()) {
      inits.put(t.getName(), t);
    }
    Map<String, String> anonymous = new HashMap<>(); // initializer name -> HF weight name
    Map<String, OnnxMl.NodeProto> consumerOf = new HashMap<>();
    for (OnnxMl.NodeProto n : graph.getNodeList()) {
      for (String in : n.getInputList()) {
        consumerOf.putIfAbsent(in, n);
      }
    }
    for (OnnxMl.NodeProto n : graph.getNodeList()) {
      if (!n.getOpType().equals("MatMul") || n.getInputCount() != 2 || !inits.containsKey(n.getInput(1))) {
        continue;
      }
      OnnxMl.NodeProto add = consumerOf.get(n.getOutput(0));
      if (add == null || !add.getOpType().equals("Add")) {
        continue;
      }
      for (String other : add.getInputList()) {
        if (other.endsWith(".bias") && inits.containsKey(other)) {
          anonymous.put(n.getInput(1), other.substring(0, other.length() - 5) + ".weight");
        }
      }
    }
    Map<String, Tensor> out = new LinkedHashMap<>();
    for (OnnxMl.TensorProto t : graph.getInitializerList()) {
      String hfName = anonymous.get(t.getName());
      if (hfName != null) {
        out.put(stripPrefix(hfName), toTensor(t, file).transpose2d());
      } else if (isWeightName(t.getName())) {
        out.put(stripPrefix(t.getName()), toTensor(t, file));
      }
    }
    return out;
  }

  private static boolean isWeightName(String name) {
    String n = stripPrefix(name);
    return (n.startsWith("embeddings.") || n.startsWith("encoder.") || n.startsWith("pooler."))
        && (n.endsWith(".weight") || n.endsWith(".bias"));
  }

  private static String stripPrefix(String name) {
    return name.startsWith("bert.") ? name.substring(5) : name;
  }

  /** Parses an ONNX file of any size (protobuf's default limit of 64 MB is below a BERT's). */
  /**
   * The graph of {@code file} with every initializer's values inside it: tensors an exporter stored as
   * external data (large models: {@code model.onnx} + {@code model.onnx_data}) are read in, so that
   * every reader sees their values instead of an empty tensor.
   */
  public static OnnxMl.ModelProto readModel(Path file) {
    OnnxMl.ModelProto model;
    try (InputStream in = Files.newInputStream(file)) {
      CodedInputStream cis = CodedInputStream.newInstance(in);
      cis.setSizeLimit(Integer.MAX_VALUE);
      model = OnnxMl.ModelProto.parseFrom(cis);
    } catch (IOException e) {
      throw new QuarryException("Cannot read ONNX model " + file + ": " + e.getMessage(), e);
    }
    return inlineExternalData(model, file);
  }

  private static OnnxMl.ModelProto inlineExternalData(OnnxMl.ModelProto model, Path file) {
    if (model.getGraph().getInitializerList().stream().noneMatch(t -> t.getDataLocation() == OnnxMl.TensorProto.DataLocation.EXTERNAL)) {
      return model;
    }
    Path dir = file.toAbsolutePath().normalize().getParent();
    OnnxMl.ModelProto.Builder b = model.toBuilder();
    OnnxMl.GraphProto.Builder g = b.getGraphBuilder();
    for (int i = 0; i < g.getInitializerCount(); i++) {
      OnnxMl.TensorProto t = g.getInitializer(i);
      if (t.getDataLocation() != OnnxMl.TensorProto.DataLocation.EXTERNAL) {
        continue;
      }
      String location = null;
      long offset = 0;
      long length = -1;
      for (OnnxMl.StringStringEntryProto e : t.getExternalDataList()) {
        switch (e.getKey()) {
          case "location" -> location = e.getValue();
          case "offset" -> offset = Long.parseLong(e.getValue());
          case "length" -> length = Long.parseLong(e.getValue());
          default -> { } // checksum: not needed to read
        }
      }
      String what = "ONNX model " + file + ": initializer '" + t.getName() + "' is stored as external data";
      if (location == null) {
        throw new QuarryException(what + " without a location.");
      }
      Path data = dir.resolve(location).normalize();
      if (!data.startsWith(dir)) {
        throw new QuarryException(what + " in " + location + ", outside the model's folder; refusing to read it.");
      }
      g.setInitializer(i, t.toBuilder().clearExternalData().clearDataLocation()
          .setRawData(readRange(data, offset, length, what)).build());
    }
    return b.build();
  }

  private static ByteString readRange(Path data, long offset, long length, String what) {
    try (FileChannel ch = FileChannel.open(data)) {
      long n = length >= 0 ? length : ch.size() - offset;
      if (offset < 0 || offset + n > ch.size() || n > Integer.MAX_VALUE) {
        throw new QuarryException(what + " at bytes " + offset + ".." + (offset + n) + " of " + data + ", which has " + ch.size()
            + " bytes: the data file is truncated or belongs to another export.");
      }
      ByteBuffer buf = ByteBuffer.allocate((int) n);
      while (buf.hasRemaining() && ch.read(buf, offset + buf.position()) >= 0) {
        // FileChannel.read may return fewer bytes than asked
      }
      return ByteString.copyFrom(buf.flip());
    } catch (NoSuchFileException e) {
      throw new QuarryException(what + " in " + data + ", which is missing. Copy it beside the .onnx file.", e);
    } catch (IOException e) {
      throw new QuarryFailure(what + " in " + data + ", which cannot be read: " + e.getMessage(), e);
    }
  }

  /** A float initializer's values, whether stored as raw little-endian bytes or as a float list. */
  public static float[] floats(OnnxMl.TensorProto t) {
    if (!t.getRawData().isEmpty()) {
      ByteBuffer buf = t.getRawData().asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
      float[] data = new float[buf.remaining() / 4];
      buf.asFloatBuffer().get(data);
      return data;
    }
    List<Float> list = t.getFloatDataList();
    float[] data = new float[list.size()];
    for (int i = 0; i < data.length; i++) {
      data[i] = list.get(i);
    }
    return data;
  }

  static Tensor toTensor(OnnxMl.TensorProto t, Path file) {
    if (t.getDataType() != OnnxMl.TensorProto.DataType.FLOAT.getNumber()) {
      throw new QuarryException("Initializer '" + t.getName() + "' in " + file + " has ONNX data type "
          + t.getDataType() + "; training reads float32 exports only.");
    }
    long[] shape = t.getDimsList().stream().mapToLong(Long::longValue).toArray();
    return new Tensor(shape, floats(t));
  }
}
