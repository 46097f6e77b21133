package dev.quarry.train;

import java.nio.file.Path;

/** What a training run reports as it goes (progress bars, logs); every method is optional. */
public interface TrainingListener {
  default void onStart(int totalSteps, int firstStep) {}

  default void onStep(TrainingLog.StepRecord step) {}

  default void onEvaluationProgress(int done, int total) {}

  default void onEvaluation(TrainingLog.EvalRecord eval) {}

  default void onCheckpoint(Path dir) {}
}
