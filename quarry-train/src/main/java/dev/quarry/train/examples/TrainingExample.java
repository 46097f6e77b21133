package dev.quarry.train.examples;

import java.util.ArrayList;
import java.util.List;

/**
 * One training row: an anchor (query), its positive passage and optional hard negatives.
 *
 * @param source where the row came from ({@code file:line} or {@code qrels/train.tsv:line}), for errors
 */
public record TrainingExample(String anchor, String positive, List<String> negatives, String source) {
  public TrainingExample {
    negatives = List.copyOf(negatives);
  }

  /** All texts of the row; a batch must not hold the same text twice. */
  public List<String> texts() {
    ArrayList<String> all = new ArrayList<>(2 + negatives.size());
    all.add(anchor);
    all.add(positive);
    all.addAll(negatives);
    return all;
  }
}
