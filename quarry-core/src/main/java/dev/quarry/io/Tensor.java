package dev.quarry.io;

import java.util.Arrays;

/** A float32 tensor on the Java heap, row-major: what is read from and written to weight files. */
public record Tensor(long[] shape, float[] data) {
  public Tensor {
    long n = 1;
    for (long d : shape) {
      n *= d;
    }
    if (n != data.length) {
      throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " needs " + n + " values, got " + data.length);
    }
  }

  /** The transpose of a matrix (ONNX exports store Linear weights as [in, out], PyTorch as [out, in]). */
  public Tensor transpose2d() {
    if (shape.length != 2) {
      throw new IllegalArgumentException("transpose2d of a tensor of shape " + Arrays.toString(shape));
    }
    int rows = (int) shape[0];
    int cols = (int) shape[1];
    float[] t = new float[data.length];
    for (int r = 0; r < rows; r++) {
      for (int c = 0; c < cols; c++) {
        t[c * rows + r] = data[r * cols + c];
      }
    }
    return new Tensor(new long[] {cols, rows}, t);
  }
}
