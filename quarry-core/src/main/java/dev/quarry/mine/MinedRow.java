package dev.quarry.mine;

import java.util.List;

/**
 * One training row: a query, one of its judged positives, and the negatives mined for it, with
 * the model's scores (what the margins were checked against).
 */
public record MinedRow(String queryId, String anchor, String positiveId, String positive, float positiveScore,
    List<String> negativeIds, List<String> negatives, List<Float> negativeScores) {
  public MinedRow {
    negativeIds = List.copyOf(negativeIds);
    negatives = List.copyOf(negatives);
    negativeScores = List.copyOf(negativeScores);
  }
}
