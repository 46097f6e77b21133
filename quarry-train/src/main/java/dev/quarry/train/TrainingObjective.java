package dev.quarry.train;

import dev.quarry.train.bert.BertEncoder;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * What the {@link Trainer} trains, as sentence-transformers' trainers take a model, a dataset and a
 * loss: the network's weights, the batches of each epoch, one batch's loss with its gradients, and
 * the evaluation. The trainer owns everything around it (optimizer, schedule, clipping,
 * checkpoints, resumption, best weights); a bi-encoder ({@link BiEncoderObjective}) and a
 * cross-encoder ({@link CrossEncoderObjective}) differ only here.
 */
public interface TrainingObjective {
  /** The model the run starts from, as checkpoints record it. */
  String modelId();

  /** The trainable weights: a BERT encoder and whatever head it carries. */
  BertEncoder network();

  /** The number of training rows. */
  int rows();

  /** The batches of one epoch, as row indices; a function of (seed, epoch) only, so that a resumed run sees the same ones. */
  List<List<Integer>> batches(int epoch);

  /** Forward and backward over one batch; returns the loss. {@code seed} drives any sampling inside the loss. */
  double forwardBackward(List<Integer> batch, long seed);

  /** SHA-256 over the rows and the loss's settings: a run is resumed only over the same ones. */
  String fingerprint();

  /** Whether {@link #evaluate} does anything. */
  boolean evaluates();

  /**
   * The evaluation's metrics for the current weights ({@code ndcg@10} among them: the best weights are
   * those with the highest).
   *
   * @param untouched the weights are still the source folder's
   * @param scratch a folder the current weights may be exported to
   */
  Map<String, Double> evaluate(boolean untouched, Path scratch, int batchSize, TrainingListener listener);
}
