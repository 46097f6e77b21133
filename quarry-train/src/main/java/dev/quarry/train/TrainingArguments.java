package dev.quarry.train;

import dev.quarry.QuarryException;
import dev.quarry.similarity.SimilarityFunction;
import dev.quarry.train.export.ModelCard;
import dev.quarry.train.loss.EmbeddingLoss;
import dev.quarry.train.loss.MatryoshkaLoss;
import dev.quarry.train.loss.MultipleNegativesRankingLoss;
import dev.quarry.train.loss.TrainingLoss;
import dev.quarry.train.optim.WarmupLinearSchedule;
import java.util.List;

/**
 * The fine-tuning recipe. Defaults are the reference run's: MultipleNegativesRankingLoss (scale 20,
 * dot), AdamW (lr 2e-5, eps 1e-6, weight decay 0.01, no bias correction), WarmupLinear with 10% of
 * the steps as warm-up, batch 16, 1 epoch, gradient clipping at 1.0.
 * The quality loop adds the GradCache form of the loss and MatryoshkaLoss around it.
 *
 * @param warmupSteps warm-up steps; negative means 10% of all steps
 * @param maxSteps stop after this many steps (negative: run all epochs)
 * @param evalSteps evaluate every this many steps (0: only before training and after each epoch)
 * @param checkpointSteps write a resumable checkpoint every this many steps and at epoch ends (0: at
 *     epoch ends only; negative: never)
 * @param checkpointsKept how many of the latest checkpoints to keep on disk
 * @param loss {@code mnrl} (MultipleNegativesRankingLoss) or {@code cached-mnrl} (its GradCache form:
 *     the same gradients, activation memory of a mini-batch)
 * @param miniBatchSize texts embedded at once by {@code cached-mnrl}
 * @param matryoshkaDims when not empty, MatryoshkaLoss around the loss at these dimensions
 * @param matryoshkaWeights one weight per Matryoshka dimension; empty for 1 each
 */
public record TrainingArguments(
    int epochs,
    int batchSize,
    double learningRate,
    int warmupSteps,
    double weightDecay,
    double adamEps,
    double adamBeta1,
    double adamBeta2,
    boolean biasCorrection,
    double maxGradNorm,
    double scale,
    SimilarityFunction similarity,
    long seed,
    int maxSteps,
    int evalSteps,
    int evalBatchSize,
    boolean evalBeforeTraining,
    int checkpointSteps,
    int checkpointsKept,
    String loss,
    int miniBatchSize,
    List<Integer> matryoshkaDims,
    List<Double> matryoshkaWeights) {

  /** The plain in-batch loss. */
  public static final String MNRL = "mnrl";

  /** The GradCache form of MNRL. */
  public static final String CACHED_MNRL = "cached-mnrl";

  public TrainingArguments {
    if (!MNRL.equals(loss) && !CACHED_MNRL.equals(loss)) {
      throw new QuarryException("Unknown loss '" + loss + "' (--loss): use " + MNRL + " or " + CACHED_MNRL + ".");
    }
    if (miniBatchSize < 1) {
      throw new QuarryException("--mini-batch-size must be at least 1, got " + miniBatchSize + ".");
    }
    MultipleNegativesRankingLoss.checkSimilarity(similarity);
    matryoshkaDims = List.copyOf(matryoshkaDims);
    matryoshkaWeights = List.copyOf(matryoshkaWeights);
  }

  /**
   * The loss these arguments describe, for a model of {@code dimension}: MNRL on the recipe's scale
   * and similarity, inside MatryoshkaLoss when dimensions are given, cached when {@link #CACHED_MNRL}.
   * Built once per run and handed to the trainer and the model card.
   */
  public TrainingLoss trainingLoss(int dimension) {
    EmbeddingLoss mnrl = new MultipleNegativesRankingLoss(scale, similarity);
    EmbeddingLoss loss = matryoshkaDims.isEmpty() ? mnrl : new MatryoshkaLoss(mnrl, matryoshkaDims, matryoshkaWeights, dimension);
    return CACHED_MNRL.equals(this.loss) ? TrainingLoss.cached(loss, miniBatchSize) : TrainingLoss.of(loss);
  }

  /** Warm-up steps of a run of {@code totalSteps}: as given, else sentence-transformers' default (10% of the steps). */
  public int warmupStepsFor(int totalSteps) {
    return warmupSteps >= 0 ? warmupSteps : WarmupLinearSchedule.defaultWarmup(totalSteps);
  }

  /** What the model card lists of {@code fit()}'s parameters, with the warm-up the run used. */
  public ModelCard.FitParameters fitParameters(int warmupStepsUsed) {
    return new ModelCard.FitParameters(epochs, evalSteps, maxGradNorm, biasCorrection, adamEps, learningRate, seed, warmupStepsUsed,
        weightDecay);
  }

  /** The reference recipe. */
  public static TrainingArguments defaults() {
    return builder().build();
  }

  public static Builder builder() {
    return new Builder();
  }

  /** Fluent setters over the reference defaults. */
  public static final class Builder {
    private int epochs = 1;
    private int batchSize = 16;
    private double learningRate = 2e-5;
    private int warmupSteps = -1;
    private double weightDecay = 0.01;
    private double adamEps = 1e-6;
    private double adamBeta1 = 0.9;
    private double adamBeta2 = 0.999;
    private boolean biasCorrection = false;
    private double maxGradNorm = 1.0;
    private double scale = 20.0;
    private SimilarityFunction similarity = SimilarityFunction.DOT;
    private long seed = 42L;
    private int maxSteps = -1;
    private int evalSteps = 5000;
    private int evalBatchSize = 32;
    private boolean evalBeforeTraining = true;
    private int checkpointSteps = 500;
    private int checkpointsKept = 2;
    private String loss = MNRL;
    private int miniBatchSize = 32;
    private List<Integer> matryoshkaDims = List.of();
    private List<Double> matryoshkaWeights = List.of();

    public Builder epochs(int v) {
      epochs = v;
      return this;
    }

    public Builder batchSize(int v) {
      batchSize = v;
      return this;
    }

    public Builder learningRate(double v) {
      learningRate = v;
      return this;
    }

    public Builder warmupSteps(int v) {
      warmupSteps = v;
      return this;
    }

    public Builder weightDecay(double v) {
      weightDecay = v;
      return this;
    }

    public Builder adamEps(double v) {
      adamEps = v;
      return this;
    }

    public Builder adamBeta1(double v) {
      adamBeta1 = v;
      return this;
    }

    public Builder adamBeta2(double v) {
      adamBeta2 = v;
      return this;
    }

    public Builder biasCorrection(boolean v) {
      biasCorrection = v;
      return this;
    }

    public Builder maxGradNorm(double v) {
      maxGradNorm = v;
      return this;
    }

    public Builder scale(double v) {
      scale = v;
      return this;
    }

    public Builder similarity(SimilarityFunction v) {
      similarity = v;
      return this;
    }

    public Builder seed(long v) {
      seed = v;
      return this;
    }

    public Builder maxSteps(int v) {
      maxSteps = v;
      return this;
    }

    public Builder evalSteps(int v) {
      evalSteps = v;
      return this;
    }

    public Builder evalBatchSize(int v) {
      evalBatchSize = v;
      return this;
    }

    public Builder evalBeforeTraining(boolean v) {
      evalBeforeTraining = v;
      return this;
    }

    public Builder checkpointSteps(int v) {
      checkpointSteps = v;
      return this;
    }

    public Builder checkpointsKept(int v) {
      checkpointsKept = v;
      return this;
    }

    public Builder loss(String v) {
      loss = v;
      return this;
    }

    public Builder miniBatchSize(int v) {
      miniBatchSize = v;
      return this;
    }

    public Builder matryoshkaDims(List<Integer> v) {
      matryoshkaDims = v;
      return this;
    }

    public Builder matryoshkaWeights(List<Double> v) {
      matryoshkaWeights = v;
      return this;
    }

    public TrainingArguments build() {
      return new TrainingArguments(epochs, batchSize, learningRate, warmupSteps, weightDecay, adamEps, adamBeta1, adamBeta2,
          biasCorrection, maxGradNorm, scale, similarity, seed, maxSteps, evalSteps, evalBatchSize, evalBeforeTraining,
          checkpointSteps, checkpointsKept, loss, miniBatchSize, matryoshkaDims, matryoshkaWeights);
    }
  }
}
