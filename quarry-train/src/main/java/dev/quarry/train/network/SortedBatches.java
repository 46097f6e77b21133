package dev.quarry.train.network;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.jni.JniUtils;
import dev.quarry.encode.ProgressListener;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.function.BiFunction;
import java.util.function.ToIntFunction;
import java.util.stream.IntStream;

/**
 * A trainable network run for inference: autograd off, inputs in batches sorted longest first (so a
 * batch pads little), each input's output row returned in input order. What the parity checks against
 * ONNX Runtime compare.
 */
final class SortedBatches {
  private SortedBatches() {}

  /**
   * @param forward one batch's outputs, [batch, width], in the given manager
   * @param progress told of the inputs done, or null
   */
  static <T> float[][] run(List<T> inputs, ToIntFunction<T> length, int batchSize, BiFunction<NDManager, List<T>, NDArray> forward,
      ProgressListener progress) {
    boolean grad = JniUtils.isGradMode();
    JniUtils.setGradMode(false);
    try (NDManager m = NDManager.newBaseManager("PyTorch")) {
      int[] lengths = inputs.stream().mapToInt(length).toArray();
      Integer[] order = IntStream.range(0, inputs.size()).boxed().toArray(Integer[]::new);
      Arrays.sort(order, Comparator.comparingInt((Integer i) -> -lengths[i]));
      float[][] out = new float[inputs.size()][];
      for (int start = 0; start < order.length; start += batchSize) {
        int end = Math.min(order.length, start + batchSize);
        List<T> batch = Arrays.stream(order, start, end).map(inputs::get).toList();
        try (NDManager bm = m.newSubManager()) {
          float[] flat = forward.apply(bm, batch).toFloatArray();
          int width = flat.length / batch.size();
          for (int j = 0; j < batch.size(); j++) {
            out[order[start + j]] = Arrays.copyOfRange(flat, j * width, (j + 1) * width);
          }
        }
        if (progress != null) {
          progress.onProgress(end, inputs.size());
        }
      }
      return out;
    } finally {
      JniUtils.setGradMode(grad);
    }
  }
}
