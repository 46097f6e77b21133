package dev.quarry.train.loss;

import ai.djl.ndarray.NDArray;
import java.util.List;

/**
 * A loss over one batch's sentence embeddings: what a sentence-transformers loss computes after
 * the model's forward pass. Keeping the model out of it lets the same loss run on embeddings that
 * were computed in one differentiable pass ({@link MultipleNegativesRankingLoss} as is) or cached
 * mini-batch by mini-batch ({@link CachedMultipleNegativesRankingLoss}), and be wrapped ({@link
 * MatryoshkaLoss}).
 */
public interface EmbeddingLoss {
  /**
   * @param anchors [batch, dim]
   * @param candidates [batch * (1 + negatives), dim]: the positives in anchor order, then each
   *     column of hard negatives in anchor order
   * @return the loss, a differentiable scalar
   */
  NDArray compute(NDArray anchors, NDArray candidates);

  /** How the model card names this loss and its parameters: this loss first, then any it wraps. */
  List<LossCard> cards();
}
