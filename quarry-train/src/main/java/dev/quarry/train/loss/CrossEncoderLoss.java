package dev.quarry.train.loss;

import ai.djl.ndarray.NDArray;
import dev.quarry.rerank.TextPair;
import dev.quarry.train.examples.RerankExample;
import java.util.List;
import java.util.Random;

/**
 * A loss over one batch of cross-encoder rows, as sentence-transformers' {@code
 * cross_encoder.losses}: it decides which (query, document) pairs to score, scores them through the
 * model and compares the logits with the labels.
 */
public interface CrossEncoderLoss {
  /** The model's first logit for each pair, differentiable: [pairs]. */
  interface PairLogits {
    NDArray of(List<TextPair> pairs);
  }

  /**
   * @param random draws anything the loss samples (in-batch negatives), seeded per step by the trainer
   * @return the loss, a differentiable scalar
   */
  NDArray compute(List<RerankExample> batch, PairLogits model, Random random);

  /** Refuses rows the loss cannot take, naming the first bad one. */
  void check(List<RerankExample> rows);

  /** Whether a batch should hold no text twice (the loss uses in-batch negatives). */
  default boolean needsDistinctTexts() {
    return false;
  }

  /** Whether the loss trains on single labelled pairs rather than whole rows (BCE). */
  default boolean pairwise() {
    return false;
  }

  /** How the model card names the loss and its parameters. */
  LossCard card();

  /** torch's activation class names, as the model card and sentence-transformers' configs write them. */
  String IDENTITY = "torch.nn.modules.linear.Identity";

  String SIGMOID = "torch.nn.modules.activation.Sigmoid";
}
