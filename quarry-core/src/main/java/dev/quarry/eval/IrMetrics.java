package dev.quarry.eval;

import java.util.List;

/**
 * The k values an {@link InformationRetrievalEvaluator} reports, with sentence-transformers'
 * defaults: Accuracy/Precision/Recall at 1, 3, 5, 10; MRR@10; NDCG@10; MAP@100.
 */
public record IrMetrics(List<Integer> accuracyAtK, List<Integer> precisionRecallAtK, List<Integer> mrrAtK,
    List<Integer> ndcgAtK, List<Integer> mapAtK) {

  public static IrMetrics defaults() {
    return new IrMetrics(List.of(1, 3, 5, 10), List.of(1, 3, 5, 10), List.of(10), List.of(10), List.of(100));
  }

  /** Defaults plus Recall@100 (what BEIR and MTEB report next to NDCG@10). */
  public static IrMetrics withRecallAt100() {
    return new IrMetrics(List.of(1, 3, 5, 10), List.of(1, 3, 5, 10, 100), List.of(10), List.of(10), List.of(100));
  }

  /** The deepest rank any metric looks at: how many hits retrieval must return. */
  public int maxK() {
    int m = 0;
    for (List<Integer> l : List.of(accuracyAtK, precisionRecallAtK, mrrAtK, ndcgAtK, mapAtK)) {
      for (int k : l) {
        m = Math.max(m, k);
      }
    }
    return m;
  }
}
