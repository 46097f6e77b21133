package dev.quarry.cli;

import dev.quarry.train.TrainingListener;
import dev.quarry.train.TrainingLog;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Locale;

/**
 * Training progress on stderr: a bar with step, loss, learning rate, steps/s and ETA (redrawn on a
 * terminal, a line every few seconds in logs), evaluation progress, and a line per evaluation.
 */
final class TrainingProgress implements TrainingListener {
  private static final int WIDTH = 24;
  private final PrintStream out;
  private final boolean terminal = System.console() != null;
  private int total;
  private int first;
  private long start;
  private boolean stepping;
  private long lastPrint;
  private long lastEvalPrint;
  private double smoothedLoss = Double.NaN;

  TrainingProgress(PrintStream out) {
    this.out = out;
  }

  @Override
  public void onStart(int totalSteps, int firstStep) {
    total = totalSteps;
    first = firstStep;
    start = System.nanoTime();
    if (firstStep > 0) {
      out.printf(Locale.ROOT, "quarry: resumed at step %d of %d%n", firstStep, totalSteps);
    }
  }

  @Override
  public synchronized void onStep(TrainingLog.StepRecord s) {
    smoothedLoss = Double.isNaN(smoothedLoss) ? s.loss() : 0.9 * smoothedLoss + 0.1 * s.loss();
    long now = System.nanoTime();
    if (!stepping) { // the rate counts training time only, not the evaluation before the first step
      stepping = true;
      start = now - (long) (s.seconds() * 1e9);
      first = s.step() - 1;
    }
    boolean finished = s.step() >= total;
    if (!finished && now - lastPrint < (terminal ? 200_000_000L : 10_000_000_000L)) {
      return;
    }
    lastPrint = now;
    double secs = (now - start) / 1e9;
    double rate = (s.step() - first) / Math.max(secs, 1e-9);
    long eta = rate > 0 ? Math.round((total - s.step()) / rate) : 0;
    int filled = (int) ((long) WIDTH * s.step() / Math.max(total, 1));
    String line = String.format(Locale.ROOT, "train [%s%s] %d/%d  epoch %d  loss %.4f  lr %.2e  %.2f steps/s  ETA %d:%02d",
        "#".repeat(filled), " ".repeat(WIDTH - filled), s.step(), total, s.epoch() + 1, smoothedLoss,
        s.learningRate(), rate, eta / 60, eta % 60);
    out.print(terminal ? "\r" + line + (finished ? "\n" : "") : line + "\n");
    out.flush();
  }

  @Override
  public synchronized void onEvaluationProgress(int done, int total) {
    long now = System.nanoTime();
    if (done < total && now - lastEvalPrint < (terminal ? 200_000_000L : 10_000_000_000L)) {
      return;
    }
    lastEvalPrint = now;
    String line = String.format(Locale.ROOT, "evaluating: %d/%d texts encoded", done, total);
    out.print(terminal ? "\r" + line + (done >= total ? "\n" : "") : line + "\n");
    out.flush();
  }

  @Override
  public void onEvaluation(TrainingLog.EvalRecord e) {
    out.printf(Locale.ROOT, "eval @ step %d: NDCG@10 %.4f  MRR@10 %.4f  Recall@10 %.4f  Accuracy@5 %.4f%n", e.step(),
        e.ndcg10(), e.metrics().getOrDefault("mrr@10", Double.NaN), e.metrics().getOrDefault("recall@10", Double.NaN),
        e.metrics().getOrDefault("accuracy@5", Double.NaN));
  }

  @Override
  public void onCheckpoint(Path dir) {
    if (terminal) {
      return; // the bar shows progress; checkpoint paths would break it
    }
    out.println("quarry: checkpoint " + dir);
  }
}
