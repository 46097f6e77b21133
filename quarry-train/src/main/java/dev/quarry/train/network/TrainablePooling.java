package dev.quarry.train.network;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import dev.quarry.modules.PoolingConfig;
import dev.quarry.modules.PoolingMode;
import java.util.ArrayList;
import java.util.List;

/**
 * sentence-transformers' Pooling module in differentiable DJL ops: the same modes and
 * conventions as {@link dev.quarry.modules.Pooling} (the ONNX path), several modes concatenated in
 * their fixed order.
 */
final class TrainablePooling {
  private TrainablePooling() {}

  /**
   * @param tokens [batch, seq, dim]
   * @param mask [batch, seq] int64
   * @return [batch, dim * modes]
   */
  static NDArray pool(PoolingConfig config, NDArray tokens, NDArray mask) {
    // Java numbers below touch only the mask, which has no gradient: on the token states they would be
    // freed before backward (see NativeArrays).
    NDArray m = mask.toType(DataType.FLOAT32, false).expandDims(-1); // [b, s, 1]
    List<NDArray> parts = new ArrayList<>();
    for (PoolingMode mode : config.modes()) {
      parts.add(switch (mode) {
        case CLS -> tokens.get(new NDIndex(":, 0, :"));
        // sentence-transformers sets padded positions to -1e9 before the max.
        case MAX -> tokens.mul(m).add(m.neg().add(1f).mul(-1e9f)).max(new int[] {1});
        case MEAN -> tokens.mul(m).sum(new int[] {1}).div(m.sum(new int[] {1}).clip(1e-9f, Float.MAX_VALUE));
        case MEAN_SQRT_LEN_TOKENS -> tokens.mul(m).sum(new int[] {1})
            .div(m.sum(new int[] {1}).clip(1e-9f, Float.MAX_VALUE).sqrt());
        case WEIGHTED_MEAN -> {
          long seq = tokens.getShape().get(1);
          NDArray w = m.mul(m.getManager().arange(1f, seq + 1f).reshape(1, seq, 1));
          yield tokens.mul(w).sum(new int[] {1}).div(w.sum(new int[] {1}).clip(1e-9f, Float.MAX_VALUE));
        }
        case LAST_TOKEN -> {
          // The last token with mask 1 (right padding): index = count - 1.
          NDArray last = mask.sum(new int[] {1}).sub(1).clip(0, Long.MAX_VALUE); // [b]
          long dim = tokens.getShape().get(2);
          NDArray index = last.reshape(-1, 1, 1).repeat(2, dim);
          yield tokens.gather(index, 1).squeeze(1);
        }
      });
    }
    return parts.size() == 1 ? parts.get(0) : NDArrays.concat(new NDList(parts), 1);
  }
}
