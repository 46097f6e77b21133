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
import java.nio.LongBuffer;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;

/**
 * A transformer encoder exported to ONNX, run by ONNX Runtime: padded token ids in, token
 * embeddings ({@code last_hidden_state}) out. One session is shared by all callers; ONNX
 * Runtime's {@code run} is thread-safe.
 */
public final class OnnxTransformer implements AutoCloseable {
  static final String INPUT_IDS = "input_ids";
  static final String ATTENTION_MASK = "attention_mask";
  static final String TOKEN_TYPE_IDS = "token_type_ids";
  /** Output names used by exporters for the per-token hidden states, in order of preference. */
  static final String[] OUTPUT_NAMES = {"last_hidden_state", "token_embeddings"};

  private final OrtEnvironment env;
  private final OrtSession session;
  private final Path file;
  private final boolean needsTokenTypes;
  private final String outputName;
  private final int hiddenSize;

  /**
   * Opens {@code onnxFile} with graph optimisation level ALL.
   *
   * @param intraOpThreads threads one inference may use; 1 when callers run batches concurrently
   */
  public OnnxTransformer(Path onnxFile, int intraOpThreads) {
    this.file = onnxFile;
    this.env = OrtNative.environment();
    this.session = openSession(env, onnxFile, intraOpThreads);
    try {
      Set<String> inputs = session.getInputNames();
      if (!inputs.contains(INPUT_IDS) || !inputs.contains(ATTENTION_MASK)) {
        close();
        throw new QuarryException("ONNX model " + onnxFile + " has inputs " + inputs + ", but Quarry needs "
            + INPUT_IDS + " and " + ATTENTION_MASK + " (and optionally " + TOKEN_TYPE_IDS
            + "). Export the transformer with the feature-extraction task.");
      }
      this.needsTokenTypes = inputs.contains(TOKEN_TYPE_IDS);
      Map<String, NodeInfo> outputs = session.getOutputInfo();
      String found = null;
      for (String name : OUTPUT_NAMES) {
        if (outputs.containsKey(name)) {
          found = name;
          break;
        }
      }
      if (found == null || !(outputs.get(found).getInfo() instanceof TensorInfo info) || info.getShape().length != 3) {
        close();
        throw new QuarryException("ONNX model " + onnxFile + " has outputs " + outputs.keySet()
            + ", but Quarry needs a [batch, tokens, hidden] output named last_hidden_state or token_embeddings."
            + " Export the transformer without a pooling head (feature-extraction task).");
      }
      this.outputName = found;
      this.hiddenSize = (int) info.getShape()[2];
    } catch (OrtException e) {
      close();
      throw new QuarryException("Cannot inspect ONNX model " + onnxFile + ": " + e.getMessage(), e);
    }
  }

  /** A session as every Quarry graph runs: optimisation level ALL, sequential, {@code intraOpThreads} threads. */
  static OrtSession openSession(OrtEnvironment env, Path onnxFile, int intraOpThreads) {
    try (OrtSession.SessionOptions opts = new OrtSession.SessionOptions()) {
      opts.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
      opts.setIntraOpNumThreads(intraOpThreads);
      opts.setInterOpNumThreads(1);
      opts.setExecutionMode(OrtSession.SessionOptions.ExecutionMode.SEQUENTIAL);
      return env.createSession(onnxFile.toString(), opts);
    } catch (OrtException e) {
      throw new QuarryException("Cannot load ONNX model " + onnxFile + ": " + e.getMessage()
          + ". The file is missing, truncated or not an ONNX graph; re-download or re-export it.", e);
    }
  }

  /** The [batch, seq] int64 inputs of a BERT-style graph; {@code typeIds} null when the graph takes none. */
  static void putInputs(OrtEnvironment env, Map<String, OnnxTensor> in, long[] ids, long[] mask, long[] typeIds, int batch, int seq)
      throws OrtException {
    long[] shape = {batch, seq};
    in.put(INPUT_IDS, OnnxTensor.createTensor(env, LongBuffer.wrap(ids), shape));
    in.put(ATTENTION_MASK, OnnxTensor.createTensor(env, LongBuffer.wrap(mask), shape));
    if (typeIds != null) {
      in.put(TOKEN_TYPE_IDS, OnnxTensor.createTensor(env, LongBuffer.wrap(typeIds), shape));
    }
  }

  /** Hidden size declared by the graph, or -1 when the export left it symbolic. */
  public int hiddenSize() {
    return hiddenSize;
  }

  /**
   * Runs one padded batch.
   *
   * @param ids row-major [batch, seq] token ids
   * @param mask row-major [batch, seq] attention mask (1 = token, 0 = padding)
   * @param typeIds row-major [batch, seq] token type ids
   * @param consumer receives the [batch, seq, hidden] output while it is still alive
   */
  public <T> T run(long[] ids, long[] mask, long[] typeIds, int batch, int seq, HiddenStateConsumer<T> consumer) {
    Map<String, OnnxTensor> in = new HashMap<>();
    try {
      putInputs(env, in, ids, mask, needsTokenTypes ? typeIds : null, batch, seq);
      try (OrtSession.Result result = session.run(in, Set.of(outputName))) {
        OnnxTensor out = (OnnxTensor) result.get(0);
        long[] outShape = out.getInfo().getShape();
        FloatBuffer buf = out.getFloatBuffer();
        return consumer.accept(buf, (int) outShape[2]);
      }
    } catch (OrtException e) {
      throw new QuarryFailure("ONNX Runtime failed on " + file + " for a batch of " + batch + "x" + seq
          + " tokens: " + e.getMessage(), e);
    } finally {
      in.values().forEach(OnnxTensor::close);
    }
  }

  /** Receives one batch's hidden states. */
  @FunctionalInterface
  public interface HiddenStateConsumer<T> {
    T accept(FloatBuffer hidden, int hiddenSize);
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
