package dev.quarry.eval;

import dev.quarry.search.Hit;
import java.util.List;
import java.util.Map;

/**
 * What one evaluation measured: per score function (e.g. "cosine", "dot", "bm25"), the metric
 * values keyed as sentence-transformers names them ("accuracy@1", "ndcg@10", ...), and the run
 * (query id → ranked hits) they were computed from.
 *
 * @param queryCount queries evaluated: those with at least one relevant document
 */
public record IrResult(String name, int queryCount, Map<String, Map<String, Double>> metrics,
    Map<String, Map<String, List<Hit>>> runs) {

  /** One metric of one score function, e.g. {@code get("cosine", "ndcg@10")}. */
  public double get(String scoreFunction, String metric) {
    Map<String, Double> m = metrics.get(scoreFunction);
    if (m == null || !m.containsKey(metric)) {
      throw new IllegalArgumentException("No metric " + scoreFunction + "/" + metric + " in " + metrics.keySet());
    }
    return m.get(metric);
  }
}
