package dev.quarry.train.optim;

/**
 * transformers' {@code get_linear_schedule_with_warmup} (sentence-transformers' "WarmupLinear"):
 * the learning rate rises linearly from 0 over the warm-up steps, then falls linearly to 0 at the
 * last step. Step 0 (the first optimizer step) therefore runs at 0 when there is a warm-up.
 */
public record WarmupLinearSchedule(double peakLr, int warmupSteps, int totalSteps) {
  public WarmupLinearSchedule {
    if (warmupSteps < 0 || totalSteps <= 0) {
      throw new IllegalArgumentException("warm-up " + warmupSteps + " and total " + totalSteps + " steps");
    }
  }

  /** The learning rate of the optimizer step with 0-based index {@code step}. */
  public double lr(int step) {
    if (step < warmupSteps) {
      return peakLr * step / Math.max(1, warmupSteps);
    }
    return peakLr * Math.max(0.0, (double) (totalSteps - step) / Math.max(1, totalSteps - warmupSteps));
  }

  /** The default warm-up: 10% of all steps, as the sentence-transformers examples compute it. */
  public static int defaultWarmup(int totalSteps) {
    return (int) Math.ceil(totalSteps * 0.1);
  }
}
