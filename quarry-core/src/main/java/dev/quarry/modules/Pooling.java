package dev.quarry.modules;

import java.nio.FloatBuffer;

/**
 * Turns token embeddings into one vector per text, exactly as sentence-transformers'
 * {@code models.Pooling.forward} does, reading the transformer output in place (no copy into
 * nested arrays).
 *
 * <p>Token embeddings are a flat row-major [batch, seq, dim] buffer; the attention mask is a flat
 * [batch, seq] array with right padding. Masked positions never contribute.
 */
public final class Pooling {
  private final PoolingConfig config;

  public Pooling(PoolingConfig config) {
    this.config = config;
  }

  public PoolingConfig config() {
    return config;
  }

  /**
   * Pools a batch.
   *
   * @param promptLengths per text, the number of leading tokens that belong to the prompt; they
   *     are excluded when {@link PoolingConfig#includePrompt()} is false (may be null)
   * @return [batch][outputDimension]
   */
  public float[][] pool(FloatBuffer tokens, long[] mask, int batch, int seq, int dim, int[] promptLengths) {
    float[][] out = new float[batch][config.outputDimension()];
    long[] effectiveMask = mask;
    if (!config.includePrompt() && promptLengths != null) {
      effectiveMask = mask.clone();
      for (int b = 0; b < batch; b++) {
        // sentence-transformers zeroes attention_mask[:, :prompt_length] before pooling.
        for (int t = 0; t < Math.min(promptLengths[b], seq); t++) {
          effectiveMask[b * seq + t] = 0;
        }
      }
    }
    for (int b = 0; b < batch; b++) {
      int offset = 0;
      for (PoolingMode mode : config.modes()) {
        poolOne(mode, tokens, effectiveMask, b, seq, dim, out[b], offset);
        offset += dim;
      }
    }
    return out;
  }

  private static void poolOne(PoolingMode mode, FloatBuffer tok, long[] mask, int b, int seq, int dim,
      float[] out, int off) {
    int base = b * seq * dim;
    int maskBase = b * seq;
    switch (mode) {
      case CLS -> {
        for (int d = 0; d < dim; d++) {
          out[off + d] = tok.get(base + d);
        }
      }
      case MAX -> {
        // sentence-transformers sets padded positions to -1e9 before the max.
        for (int d = 0; d < dim; d++) {
          out[off + d] = -1e9f;
        }
        for (int t = 0; t < seq; t++) {
          if (mask[maskBase + t] == 0) {
            continue;
          }
          int row = base + t * dim;
          for (int d = 0; d < dim; d++) {
            out[off + d] = Math.max(out[off + d], tok.get(row + d));
          }
        }
      }
      case MEAN, MEAN_SQRT_LEN_TOKENS -> {
        double[] sum = new double[dim];
        long count = 0;
        for (int t = 0; t < seq; t++) {
          if (mask[maskBase + t] == 0) {
            continue;
          }
          count++;
          int row = base + t * dim;
          for (int d = 0; d < dim; d++) {
            sum[d] += tok.get(row + d);
          }
        }
        // torch.clamp(sum_mask, min=1e-9): an all-masked row pools to zeros, not NaN.
        double denom = mode == PoolingMode.MEAN ? Math.max(count, 1e-9) : Math.sqrt(Math.max(count, 1e-9));
        for (int d = 0; d < dim; d++) {
          out[off + d] = (float) (sum[d] / denom);
        }
      }
      case WEIGHTED_MEAN -> {
        // Position weights 1..seq: later tokens count more (SGPT).
        double[] sum = new double[dim];
        double weights = 0;
        for (int t = 0; t < seq; t++) {
          if (mask[maskBase + t] == 0) {
            continue;
          }
          double w = t + 1;
          weights += w;
          int row = base + t * dim;
          for (int d = 0; d < dim; d++) {
            sum[d] += w * tok.get(row + d);
          }
        }
        double denom = Math.max(weights, 1e-9);
        for (int d = 0; d < dim; d++) {
          out[off + d] = (float) (sum[d] / denom);
        }
      }
      case LAST_TOKEN -> {
        int last = -1;
        for (int t = seq - 1; t >= 0; t--) {
          if (mask[maskBase + t] != 0) {
            last = t;
            break;
          }
        }
        if (last >= 0) {
          int row = base + last * dim;
          for (int d = 0; d < dim; d++) {
            out[off + d] = tok.get(row + d);
          }
        }
      }
      default -> throw new IllegalStateException("unhandled pooling mode " + mode);
    }
  }
}
