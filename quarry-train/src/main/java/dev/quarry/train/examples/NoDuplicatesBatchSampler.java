package dev.quarry.train.examples;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;

/**
 * sentence-transformers' {@code NoDuplicatesBatchSampler}: shuffles the rows, then fills each
 * batch with the next rows that share no text with it. With in-batch negatives, a repeated text
 * (one passage relevant to two queries, say) would be scored as its own negative.
 *
 * <p>The order depends only on (seed, epoch), so a resumed run sees the same batches.
 */
public final class NoDuplicatesBatchSampler {
  private final List<TrainingExample> examples;
  private final int batchSize;
  private final boolean dropLast;
  private final long seed;

  public NoDuplicatesBatchSampler(List<TrainingExample> examples, int batchSize, boolean dropLast, long seed) {
    if (batchSize < 1) {
      throw new IllegalArgumentException("batch size " + batchSize);
    }
    this.examples = examples;
    this.batchSize = batchSize;
    this.dropLast = dropLast;
    this.seed = seed;
  }

  /** The batches of one epoch, as lists of row indices. */
  public List<List<Integer>> batches(int epoch) {
    List<Integer> order = new ArrayList<>();
    for (int i = 0; i < examples.size(); i++) {
      order.add(i);
    }
    Collections.shuffle(order, new Random(seed * 1_000_003L + epoch));
    LinkedHashSet<Integer> remaining = new LinkedHashSet<>(order);
    List<List<Integer>> batches = new ArrayList<>();
    while (!remaining.isEmpty()) {
      Set<String> texts = new HashSet<>();
      List<Integer> batch = new ArrayList<>();
      for (int index : remaining) {
        List<String> rowTexts = examples.get(index).texts();
        if (rowTexts.stream().anyMatch(texts::contains)) {
          continue;
        }
        batch.add(index);
        texts.addAll(rowTexts);
        if (batch.size() == batchSize) {
          break;
        }
      }
      remaining.removeAll(batch);
      if (batch.size() == batchSize || !dropLast) {
        batches.add(batch);
      }
    }
    return batches;
  }

  /** Number of batches in an epoch (the same for every epoch only approximately; this is epoch 0's). */
  public int batchesPerEpoch() {
    return batches(0).size();
  }
}
