package dev.quarry.encode;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import org.junit.jupiter.api.Test;

/**
 * quantize_embeddings semantics. Expected values were produced by numpy running
 * sentence-transformers' formulas on the same float32 arrays: float32 rounding makes the top of a
 * range land on 254, not 255, and numpy's cast truncates toward zero.
 */
class QuantizationTest {
  // Per-dimension ranges: dim0 [-1, 1] (step 2/255), dim1 [-0.5, 0.5] (step 1/255).
  static final float[][] E = {{-1f, 0.5f}, {1f, -0.5f}, {0f, 0f}};

  @Test
  void uint8CutsEachDimensionsRangeInto255StepsAndTruncates() {
    byte[][] q = Quantization.quantize(E, Precision.UINT8, null);
    // (1 - -1) / float32(2/255) = 254.99998 -> 254; row 2: 127.5 -> 127 (astype truncates).
    assertArrayEquals(new int[] {0, 254}, unsigned(q[0]));
    assertArrayEquals(new int[] {254, 0}, unsigned(q[1]));
    assertArrayEquals(new int[] {127, 127}, unsigned(q[2]));
  }

  @Test
  void int8ShiftsBy128AndTruncatesTowardZero() {
    byte[][] q = Quantization.quantize(E, Precision.INT8, null);
    assertArrayEquals(new byte[] {-128, 126}, q[0]);
    assertArrayEquals(new byte[] {126, -128}, q[1]);
    // 127.5 - 128 = -0.5 -> 0 (toward zero), not -1.
    assertArrayEquals(new byte[] {0, 0}, q[2]);
  }

  @Test
  void calibrationEmbeddingsSetTheRanges() {
    float[][] calib = {{-2f, -2f}, {2f, 2f}};
    byte[][] q = Quantization.quantize(new float[][] {{0f, 1f}}, Precision.UINT8, calib);
    // (0 + 2) / (4/255) = 127.5 -> 127; (1 + 2) / (4/255) = 191.25 -> 191.
    assertArrayEquals(new int[] {127, 191}, unsigned(q[0]));
  }

  @Test
  void ubinaryPacksSignBitsMostSignificantFirst() {
    float[][] v = {{0.3f, -1f, 0f, 2f, -0.1f, 0.1f, 0.1f, -5f, 1f, -1f}};
    // bits 1,0,0,1,0,1,1,0 | 1,0 (padded) -> 0b10010110 = 150, 0b10000000 = 128
    byte[][] ub = Quantization.quantize(v, Precision.UBINARY, null);
    assertArrayEquals(new int[] {150, 128}, unsigned(ub[0]));
    byte[][] b = Quantization.quantize(v, Precision.BINARY, null);
    assertArrayEquals(new byte[] {22, 0}, b[0], "binary = packbits - 128 as int8");
  }

  private static int[] unsigned(byte[] b) {
    int[] out = new int[b.length];
    for (int i = 0; i < b.length; i++) {
      out[i] = b[i] & 0xff;
    }
    return out;
  }
}
