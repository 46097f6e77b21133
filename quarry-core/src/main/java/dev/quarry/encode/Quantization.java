package dev.quarry.encode;

import dev.quarry.QuarryException;
import java.util.Arrays;

/**
 * sentence-transformers' {@code quantize_embeddings}, value for value.
 *
 * <ul>
 *   <li>int8 / uint8: per dimension, the range [min, max] over calibration embeddings (or over the
 *       embeddings themselves when none are given) is cut into 255 steps; uint8 = (x - min) / step,
 *       int8 = that minus 128; the cast truncates toward zero as numpy's {@code astype} does.
 *   <li>ubinary: the sign bits (x &gt; 0) packed 8 per byte, most significant bit first
 *       ({@code np.packbits}); binary = those bytes minus 128, as int8.
 * </ul>
 * Bytes are returned as Java {@code byte}: int8 and binary are signed values, uint8 and ubinary
 * are to be read unsigned ({@code b & 0xff}).
 */
public final class Quantization {
  private Quantization() {}

  /** Quantises {@code embeddings}; {@code calibration} may be null. */
  public static byte[][] quantize(float[][] embeddings, Precision precision, float[][] calibration) {
    return switch (precision) {
      case INT8, UINT8 -> scalar(embeddings, precision == Precision.INT8, calibration == null ? embeddings : calibration);
      case BINARY, UBINARY -> packSigns(embeddings, precision == Precision.BINARY);
      case FLOAT32 -> throw new IllegalArgumentException("float32 needs no quantisation");
    };
  }

  private static byte[][] scalar(float[][] emb, boolean signed, float[][] calib) {
    if (calib.length == 0) {
      return new byte[0][];
    }
    int dim = calib[0].length;
    float[] min = new float[dim];
    float[] max = new float[dim];
    Arrays.fill(min, Float.POSITIVE_INFINITY);
    Arrays.fill(max, Float.NEGATIVE_INFINITY);
    for (float[] row : calib) {
      checkDim(row, dim);
      for (int d = 0; d < dim; d++) {
        min[d] = Math.min(min[d], row[d]);
        max[d] = Math.max(max[d], row[d]);
      }
    }
    byte[][] out = new byte[emb.length][dim];
    for (int i = 0; i < emb.length; i++) {
      checkDim(emb[i], dim);
      for (int d = 0; d < dim; d++) {
        // numpy computes in float32: steps = (max - min) / 255, then (x - min) / steps.
        float step = (max[d] - min[d]) / 255f;
        // A constant dimension (step 0) would be 0/0 = NaN in numpy; we map it to the lowest bucket.
        float q = step == 0f ? 0f : (emb[i][d] - min[d]) / step;
        if (signed) {
          q -= 128f;
        }
        out[i][d] = (byte) castTowardZero(q, signed);
      }
    }
    return out;
  }

  /** numpy's float→(u)int8 cast truncates; values outside the range (non-calibrated data) wrap as C casts do. */
  private static int castTowardZero(float q, boolean signed) {
    long t = (long) q;
    return signed ? (byte) t : (int) (t & 0xff);
  }

  private static byte[][] packSigns(float[][] emb, boolean signed) {
    byte[][] out = new byte[emb.length][];
    for (int i = 0; i < emb.length; i++) {
      float[] row = emb[i];
      byte[] packed = new byte[(row.length + 7) / 8];
      for (int d = 0; d < row.length; d++) {
        if (row[d] > 0) {
          packed[d >> 3] |= (byte) (0x80 >>> (d & 7));
        }
      }
      if (signed) {
        for (int b = 0; b < packed.length; b++) {
          packed[b] = (byte) ((packed[b] & 0xff) - 128);
        }
      }
      out[i] = packed;
    }
    return out;
  }

  private static void checkDim(float[] row, int dim) {
    if (row.length != dim) {
      throw new QuarryException("Cannot quantise: embedding of dimension " + row.length + " among dimension " + dim);
    }
  }
}
