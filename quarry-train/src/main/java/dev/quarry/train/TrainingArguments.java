package dev.quarry.train;

import dev.quarry.train.loss.MultipleNegativesRankingLoss.Similarity;

/**
 * The fine-tuning recipe. Defaults are the reference run's: MultipleNegativesRankingLoss (scale 20,
 * dot), AdamW (lr 2e-5, eps 1e-6, weight decay 0.01, no bias correction), WarmupLinear with 10% of
 * the steps as warm-up, batch 16, 1 epoch, gradient clipping at 1.0.
 *
 * @param warmupSteps warm-up steps; negative means 10% of all steps
 * @param maxSteps stop after this many steps (negative: run all epochs)
 * @param evalSteps evaluate every this many steps (0: only before training and after each epoch)
 * @param checkpointSteps write a resumable checkpoint every this many steps and at epoch ends (0: at
 *     epoch ends only; negative: never)
 * @param checkpointsKept how many of the latest checkpoints to keep on disk
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
    Similarity similarity,
    long seed,
    int maxSteps,
    int evalSteps,
    int evalBatchSize,
    boolean evalBeforeTraining,
    int checkpointSteps,
    int checkpointsKept) {

  public static TrainingArguments defaults() {
    return new TrainingArguments(1, 16, 2e-5, -1, 0.01, 1e-6, 0.9, 0.999, false, 1.0, 20.0, Similarity.DOT, 42L,
        -1, 5000, 32, true, 500, 2);
  }

  public TrainingArguments withEpochs(int v) {
    return new TrainingArguments(v, batchSize, learningRate, warmupSteps, weightDecay, adamEps, adamBeta1, adamBeta2,
        biasCorrection, maxGradNorm, scale, similarity, seed, maxSteps, evalSteps, evalBatchSize, evalBeforeTraining,
        checkpointSteps, checkpointsKept);
  }

  public TrainingArguments withBatchSize(int v) {
    return new TrainingArguments(epochs, v, learningRate, warmupSteps, weightDecay, adamEps, adamBeta1, adamBeta2,
        biasCorrection, maxGradNorm, scale, similarity, seed, maxSteps, evalSteps, evalBatchSize, evalBeforeTraining,
        checkpointSteps, checkpointsKept);
  }

  public TrainingArguments withLearningRate(double v) {
    return new TrainingArguments(epochs, batchSize, v, warmupSteps, weightDecay, adamEps, adamBeta1, adamBeta2,
        biasCorrection, maxGradNorm, scale, similarity, seed, maxSteps, evalSteps, evalBatchSize, evalBeforeTraining,
        checkpointSteps, checkpointsKept);
  }

  public TrainingArguments withWarmupSteps(int v) {
    return new TrainingArguments(epochs, batchSize, learningRate, v, weightDecay, adamEps, adamBeta1, adamBeta2,
        biasCorrection, maxGradNorm, scale, similarity, seed, maxSteps, evalSteps, evalBatchSize, evalBeforeTraining,
        checkpointSteps, checkpointsKept);
  }

  public TrainingArguments withOptimizer(double weightDecay, double eps, boolean biasCorrection) {
    return new TrainingArguments(epochs, batchSize, learningRate, warmupSteps, weightDecay, eps, adamBeta1, adamBeta2,
        biasCorrection, maxGradNorm, scale, similarity, seed, maxSteps, evalSteps, evalBatchSize, evalBeforeTraining,
        checkpointSteps, checkpointsKept);
  }

  public TrainingArguments withMaxGradNorm(double v) {
    return new TrainingArguments(epochs, batchSize, learningRate, warmupSteps, weightDecay, adamEps, adamBeta1, adamBeta2,
        biasCorrection, v, scale, similarity, seed, maxSteps, evalSteps, evalBatchSize, evalBeforeTraining,
        checkpointSteps, checkpointsKept);
  }

  public TrainingArguments withLoss(double scale, Similarity similarity) {
    return new TrainingArguments(epochs, batchSize, learningRate, warmupSteps, weightDecay, adamEps, adamBeta1, adamBeta2,
        biasCorrection, maxGradNorm, scale, similarity, seed, maxSteps, evalSteps, evalBatchSize, evalBeforeTraining,
        checkpointSteps, checkpointsKept);
  }

  public TrainingArguments withSeed(long v) {
    return new TrainingArguments(epochs, batchSize, learningRate, warmupSteps, weightDecay, adamEps, adamBeta1, adamBeta2,
        biasCorrection, maxGradNorm, scale, similarity, v, maxSteps, evalSteps, evalBatchSize, evalBeforeTraining,
        checkpointSteps, checkpointsKept);
  }

  public TrainingArguments withMaxSteps(int v) {
    return new TrainingArguments(epochs, batchSize, learningRate, warmupSteps, weightDecay, adamEps, adamBeta1, adamBeta2,
        biasCorrection, maxGradNorm, scale, similarity, seed, v, evalSteps, evalBatchSize, evalBeforeTraining,
        checkpointSteps, checkpointsKept);
  }

  public TrainingArguments withEvaluation(int everySteps, int batchSize, boolean beforeTraining) {
    return new TrainingArguments(epochs, this.batchSize, learningRate, warmupSteps, weightDecay, adamEps, adamBeta1,
        adamBeta2, biasCorrection, maxGradNorm, scale, similarity, seed, maxSteps, everySteps, batchSize, beforeTraining,
        checkpointSteps, checkpointsKept);
  }

  public TrainingArguments withCheckpoints(int everySteps, int kept) {
    return new TrainingArguments(epochs, batchSize, learningRate, warmupSteps, weightDecay, adamEps, adamBeta1, adamBeta2,
        biasCorrection, maxGradNorm, scale, similarity, seed, maxSteps, evalSteps, evalBatchSize, evalBeforeTraining,
        everySteps, kept);
  }
}
