package dev.quarry.train.bert;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.quarry.tokenize.TokenizedText;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.function.Consumer;

/**
 * NDArrays made from Java data whose memory belongs to libtorch. Every array that quarry-train
 * creates from Java values goes through here.
 *
 * <p>Why: DJL's PyTorch engine wraps Java data with {@code torch::from_blob} over a direct
 * ByteBuffer that only the Java NDArray keeps alive; {@code close()} drops it, and the garbage
 * collector then frees the memory whenever it likes. libtorch, however, counts its own references:
 * autograd keeps the token ids of every embedding lookup for the backward pass, and views and saved
 * tensors outlive their Java handles. A borrowed buffer freed before libtorch is done with it is
 * read after reuse: gradients scattered to wrong rows, NaN losses a few steps later, or a SIGSEGV
 * (the intermittent failures of issue 8, reproduced by {@code NativeMemoryLifetimeTest}). A clone
 * made by libtorch is reference-counted by libtorch, so no Java lifetime can pull it away.
 *
 * <p>The same trap hides in DJL's ops that take a Java number ({@code mul(Number)}, {@code
 * div(Number)}, {@code pow(Number)}, {@code clip(Number, Number)}, ...): each wraps the number in a
 * borrowed 0-d array and closes it right after the op, yet {@code mul}, {@code div}, {@code pow}
 * and {@code clamp} save that operand for their backward. On a tensor that takes part in backward,
 * use {@link #scalar} instead; on tensors without gradients (masks, optimizer state under no-grad)
 * the number is read at once and the plain ops are safe.
 */
public final class NativeArrays {
  /**
   * Told of every Java-side buffer that libtorch borrows, once the owned copy is made: a test
   * overwrites exactly these bytes between forward and backward (what reuse after a garbage
   * collection does, but deterministically) and checks that no gradient moves. Null in use.
   */
  static volatile Consumer<ByteBuffer> borrowed;

  private NativeArrays() {}

  /** A float32 array owned by libtorch, attached to {@code manager}. */
  public static NDArray of(NDManager manager, float[] data, Shape shape) {
    ByteBuffer b = direct(data.length * Float.BYTES);
    b.asFloatBuffer().put(data);
    return owned(manager, b, shape, DataType.FLOAT32);
  }

  /** A 0-d float32 tensor owned by libtorch, attached to {@code manager}: a safe scalar operand. */
  public static NDArray scalar(NDManager manager, float value) {
    return of(manager, new float[] {value}, new Shape());
  }

  /** {@code x * value}, differentiable (the scalar stays alive as long as autograd needs it). */
  public static NDArray mul(NDArray x, double value) {
    return x.mul(scalar(x.getManager(), (float) value));
  }

  /** {@code x / max(||x||₂ along dim 1, eps)}, as {@code torch.nn.functional.normalize}, differentiable. */
  public static NDArray normalizeRows(NDArray x, float eps) {
    NDArray norm = x.norm(new int[] {1}, true);
    return x.div(norm.maximum(scalar(x.getManager(), eps)));
  }

  /** An int64 array owned by libtorch, attached to {@code manager}. */
  public static NDArray of(NDManager manager, long[] data, Shape shape) {
    ByteBuffer b = direct(data.length * Long.BYTES);
    b.asLongBuffer().put(data);
    return owned(manager, b, shape, DataType.INT64);
  }

  /**
   * A padded batch of token sequences as BERT's three inputs, ids, token types and attention mask
   * ([texts, longest], int64, libtorch-owned: autograd keeps them for backward after {@code manager} closes).
   */
  public static NDArray[] bertInputs(NDManager manager, TokenizedText[] tokens) {
    int seq = Arrays.stream(tokens).mapToInt(TokenizedText::length).max().orElse(1);
    long[] ids = new long[tokens.length * seq];
    long[] types = new long[ids.length];
    long[] mask = new long[ids.length];
    for (int b = 0; b < tokens.length; b++) {
      TokenizedText t = tokens[b];
      System.arraycopy(t.ids(), 0, ids, b * seq, t.length());
      System.arraycopy(t.typeIds(), 0, types, b * seq, t.length());
      Arrays.fill(mask, b * seq, b * seq + t.length(), 1L);
    }
    Shape shape = new Shape(tokens.length, seq);
    return new NDArray[] {of(manager, ids, shape), of(manager, types, shape), of(manager, mask, shape)};
  }

  private static ByteBuffer direct(int bytes) {
    return ByteBuffer.allocateDirect(bytes).order(ByteOrder.nativeOrder());
  }

  /** DJL wraps the direct buffer itself ({@code from_blob}); the duplicate is libtorch's own memory. */
  private static NDArray owned(NDManager manager, ByteBuffer data, Shape shape, DataType type) {
    NDArray owned;
    try (NDArray view = manager.create(data, shape, type)) {
      owned = view.duplicate();
    }
    Consumer<ByteBuffer> hook = borrowed;
    if (hook != null) {
      hook.accept(data);
    }
    return owned;
  }
}
