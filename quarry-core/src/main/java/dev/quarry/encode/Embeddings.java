package dev.quarry.encode;

/**
 * The output of one {@code encode} call: float vectors, or bytes when a quantised precision was
 * asked for (see {@link Quantization} for how to read them).
 */
public record Embeddings(Precision precision, float[][] floats, byte[][] bytes, int dimension, int[] tokenCounts) {
  /**
   * The tokens each text was encoded from: its prompt and the special tokens included, after
   * truncation at the maximum length (what an API bills as {@code usage.prompt_tokens}).
   */
  public int[] tokenCounts() {
    return tokenCounts;
  }

  /** Number of texts encoded. */
  public int size() {
    return floats != null ? floats.length : bytes.length;
  }

  /** The float vectors; only for {@link Precision#FLOAT32}. */
  public float[][] floats() {
    if (floats == null) {
      throw new IllegalStateException("Embeddings are " + precision.id() + "; use bytes()");
    }
    return floats;
  }

  /** The quantised vectors; only for precisions other than float32. */
  public byte[][] bytes() {
    if (bytes == null) {
      throw new IllegalStateException("Embeddings are float32; use floats()");
    }
    return bytes;
  }
}
