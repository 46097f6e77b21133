package dev.quarry.inference;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import dev.quarry.QuarryException;
import dev.quarry.QuarryFailure;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;

/**
 * A sequence-classification transformer (a cross-encoder) exported to ONNX, run by ONNX Runtime:
 * padded token ids of text pairs in, {@code logits} [batch, labels] out. Thread-safe, as ONNX
 * Runtime's {@code run} is.
 */
public final class OnnxClassifier implements AutoCloseable {
  /** The output transformers' exporters give a classification head. */
  public static final String LOGITS = "logits";

  private final OrtEnvironment env;
  private final OrtSession session;
  private final Path file;
  private final boolean needsTokenTypes;
  private final int labels;

  /** Opens {@code onnxFile}; its graph must take input_ids and attention_mask and give a [batch, labels] {@code logits}. */
  public OnnxClassifier(Path onnxFile, int intraOpThreads) {
    this.file = onnxFile;
    this.env = OrtNative.environment();
    this.session = OnnxTransformer.openSession(env, onnxFile, intraOpThreads);
    try {
      Set<String> inputs = session.getInputNames();
      Map<String, NodeInfo> outputs = session.getOutputInfo();
      if (!inputs.contains(OnnxTransformer.INPUT_IDS) || !inputs.contains(OnnxTransformer.ATTENTION_MASK)
          || !outputs.containsKey(LOGITS) || !(outputs.get(LOGITS).getInfo() instanceof TensorInfo info)
          || info.getShape().length != 2) {
        close();
        throw new QuarryException("ONNX model " + onnxFile + " has inputs " + inputs + " and outputs " + outputs.keySet()
            + ", but a cross-encoder graph takes input_ids and attention_mask and gives [batch, labels] logits."
            + " Export it with the text-classification task.");
      }
      this.needsTokenTypes = inputs.contains(OnnxTransformer.TOKEN_TYPE_IDS);
      this.labels = (int) info.getShape()[1];
    } catch (OrtException e) {
      close();
      throw new QuarryException("Cannot inspect ONNX model " + onnxFile + ": " + e.getMessage(), e);
    }
  }

  /** Labels declared by the graph, or -1 when the export left the dimension symbolic. */
  public int labels() {
    return labels;
  }

  /** Runs one padded batch of row-major [batch, seq] inputs; returns each row's logits. */
  public float[][] run(long[] ids, long[] mask, long[] typeIds, int batch, int seq) {
    Map<String, OnnxTensor> in = new HashMap<>();
    try {
      OnnxTransformer.putInputs(env, in, ids, mask, needsTokenTypes ? typeIds : null, batch, seq);
      try (OrtSession.Result result = session.run(in, Set.of(LOGITS))) {
        OnnxTensor out = (OnnxTensor) result.get(0);
        int n = (int) out.getInfo().getShape()[1];
        FloatBuffer buf = out.getFloatBuffer();
        float[][] logits = new float[batch][n];
        for (float[] row : logits) {
          buf.get(row);
        }
        return logits;
      }
    } catch (OrtException e) {
      throw new QuarryFailure("ONNX Runtime failed on " + file + " for a batch of " + batch + "x" + seq
          + " tokens: " + e.getMessage(), e);
    } finally {
      in.values().forEach(OnnxTensor::close);
    }
  }

  @Override
  public void close() {
    try {
      session.close();
    } catch (OrtException e) {
      throw new QuarryException("Cannot close ONNX session for " + file + ": " + e.getMessage(), e);
    }
  }
}
