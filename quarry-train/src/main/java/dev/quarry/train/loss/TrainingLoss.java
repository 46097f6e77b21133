package dev.quarry.train.loss;

import java.util.ArrayList;
import java.util.List;

/**
 * The loss a run trains with, built once and handed to both the trainer and the model card, as
 * sentence-transformers passes a loss object to its trainer: the loss on a batch's embeddings, and
 * whether the batch is embedded at once or mini-batch by mini-batch (GradCache).
 */
public final class TrainingLoss {
  private final EmbeddingLoss loss;
  private final CachedMultipleNegativesRankingLoss cached;

  private TrainingLoss(EmbeddingLoss loss, CachedMultipleNegativesRankingLoss cached) {
    this.loss = loss;
    this.cached = cached;
  }

  /** The batch embedded in one differentiable pass. */
  public static TrainingLoss of(EmbeddingLoss loss) {
    return new TrainingLoss(loss, null);
  }

  /** The batch embedded {@code miniBatchSize} texts at a time, the loss's gradients cached (CachedMultipleNegativesRankingLoss). */
  public static TrainingLoss cached(EmbeddingLoss loss, int miniBatchSize) {
    return new TrainingLoss(loss, new CachedMultipleNegativesRankingLoss(loss, miniBatchSize));
  }

  /** The loss on a whole batch's embeddings. */
  public EmbeddingLoss loss() {
    return loss;
  }

  /** The GradCache form, or null when the batch is embedded at once. */
  public CachedMultipleNegativesRankingLoss cached() {
    return cached;
  }

  /**
   * The model card's view, outermost first: a wrapper (MatryoshkaLoss) before the loss it wraps; in
   * the cached form MNRL is shown as CachedMultipleNegativesRankingLoss with its mini-batch size.
   */
  public List<LossCard> cards() {
    List<LossCard> out = new ArrayList<>(loss.cards());
    if (cached != null) {
      out.replaceAll(c -> c.className().equals(MultipleNegativesRankingLoss.CLASS_NAME) ? cached.card(c) : c);
    }
    return out;
  }
}
