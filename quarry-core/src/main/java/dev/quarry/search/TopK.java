package dev.quarry.search;

import java.util.PriorityQueue;

/**
 * Keeps the k best (score, index) pairs seen: the one tie-break rule of exact search, over a
 * matrix ({@link ExactSearch}) or over an index's stored vectors. Order is total and deterministic: higher score
 * first, and among equal scores the lower corpus index first, so ties never depend on threads.
 */
public final class TopK {
  private final int k;
  private final PriorityQueue<long[]> heap;
  private int size;

  public TopK(int k) {
    this.k = k;
    // Worst on top: lowest score, then highest index.
    this.heap = new PriorityQueue<>(Math.max(1, k), (a, b) -> {
      int c = Float.compare(Float.intBitsToFloat((int) a[0]), Float.intBitsToFloat((int) b[0]));
      return c != 0 ? c : Long.compare(b[1], a[1]);
    });
  }

  public void offer(int index, float score) {
    if (size < k) {
      heap.add(new long[] {Float.floatToRawIntBits(score), index});
      size++;
      return;
    }
    long[] worst = heap.peek();
    float w = Float.intBitsToFloat((int) worst[0]);
    if (score > w || (score == w && index < worst[1])) {
      heap.poll();
      heap.add(new long[] {Float.floatToRawIntBits(score), index});
    }
  }

  /** Best first; {@code scoresOut} (at least as long as the number kept) receives the scores. */
  public int[] indices(float[] scoresOut) {
    int n = heap.size();
    int[] idx = new int[n];
    for (int i = n - 1; i >= 0; i--) {
      long[] e = heap.poll();
      idx[i] = (int) e[1];
      scoresOut[i] = Float.intBitsToFloat((int) e[0]);
    }
    return idx;
  }
}
