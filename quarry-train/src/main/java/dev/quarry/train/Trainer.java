package dev.quarry.train;

import ai.djl.ndarray.NDArray;
import ai.djl.pytorch.jni.JniUtils;
import com.fasterxml.jackson.databind.JsonNode;
import dev.quarry.FileTrees;
import dev.quarry.QuarryException;
import dev.quarry.inference.BertWeights;
import dev.quarry.io.Json;
import dev.quarry.train.bert.BertEncoder;
import dev.quarry.train.examples.TrainingExample;
import dev.quarry.train.loss.TrainingLoss;
import dev.quarry.train.network.TrainableSentenceTransformer;
import dev.quarry.train.optim.AdamW;
import dev.quarry.train.optim.GradientClipping;
import dev.quarry.train.optim.WarmupLinearSchedule;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * sentence-transformers' {@code fit()} around a {@link TrainingObjective} (a bi-encoder's
 * MultipleNegativesRankingLoss, a cross-encoder's BCE, MNRL or ListNet): forward and backward through
 * the PyTorch engine, global-norm clipping, AdamW on a WarmupLinear schedule, evaluation every N
 * steps with the best weights kept, resumable checkpoints.
 *
 * <p>Repeatability: batch order depends on (seed, epoch) and libtorch's generator is re-seeded from
 * (seed, step) before each step, so dropout masks depend only on the step. A run resumed from a
 * checkpoint therefore takes the same steps as one that was never interrupted.
 */
public final class Trainer {
  private final TrainingObjective objective;
  private final TrainingArguments args;
  private final Checkpoints checkpoints;
  private final TrainingLog log;
  private final Path workDir;
  private final TrainingListener listener;

  /**
   * What a run ends with.
   *
   * @param finalWeights the weights to save: those of the best evaluation, else the last
   * @param batchesPerEpoch batches in a full epoch
   * @param warmupSteps the warm-up the schedule used
   */
  public record Result(int steps, TrainingLog log, TrainingLog.EvalRecord best, BertWeights finalWeights, int batchesPerEpoch,
      int warmupSteps) {}

  /** How a run treats what an earlier run left in its work folder. */
  public enum Start {
    /** Start from the model; refuse if the folder holds an earlier run (nothing is deleted silently). */
    FRESH,
    /** Continue from the newest checkpoint (refused if the arguments or data differ); start if there is none. */
    RESUME,
    /** Delete an earlier run's checkpoints and log, then start from the model. */
    OVERWRITE
  }

  /** Arguments that may change between a run and its resumption: they do not change the steps taken. */
  private static final Set<String> RESUMABLE_CHANGES = Set.of("evalBatchSize", "checkpointSteps", "checkpointsKept");

  /**
   * A bi-encoder run with the loss the arguments describe.
   *
   * @param evaluation the IR evaluation run during training, or null
   * @param workDir where checkpoints ({@code checkpoints/}) and the log ({@code training_log.jsonl}) go
   */
  public Trainer(TrainableSentenceTransformer model, List<TrainingExample> examples, TrainingArguments args,
      TrainingEvaluation evaluation, Path workDir, TrainingListener listener) {
    this(model, examples, args, args.trainingLoss(model.folder().pooling().outputDimension()), evaluation, workDir, listener);
  }

  /** As above, with the loss built already (the one the model card describes). */
  public Trainer(TrainableSentenceTransformer model, List<TrainingExample> examples, TrainingArguments args, TrainingLoss trainingLoss,
      TrainingEvaluation evaluation, Path workDir, TrainingListener listener) {
    this(new BiEncoderObjective(model, examples, args, trainingLoss, evaluation), args, workDir, listener);
  }

  /** Any objective: a bi-encoder's or a cross-encoder's. */
  public Trainer(TrainingObjective objective, TrainingArguments args, Path workDir, TrainingListener listener) {
    this.objective = objective;
    this.args = args;
    this.checkpoints = new Checkpoints(workDir.resolve("checkpoints"));
    this.log = new TrainingLog(workDir.resolve("training_log.jsonl"));
    this.workDir = workDir;
    this.listener = listener == null ? new TrainingListener() {} : listener;
  }

  public TrainingLog log() {
    return log;
  }

  /** The batches of every epoch (row indices), cut at max steps. */
  List<List<List<Integer>>> plan() {
    List<List<List<Integer>>> epochs = new ArrayList<>();
    int total = 0;
    for (int e = 0; e < args.epochs(); e++) {
      List<List<Integer>> batches = objective.batches(e);
      if (args.maxSteps() >= 0 && total + batches.size() > args.maxSteps()) {
        batches = batches.subList(0, Math.max(0, args.maxSteps() - total));
      }
      total += batches.size();
      epochs.add(batches);
    }
    return epochs;
  }

  /** Where a run stands: the steps taken and the best evaluation so far. */
  private static final class Progress {
    int step;
    TrainingLog.EvalRecord best;
  }

  /**
   * Trains, starting or continuing as {@code start} says: plan the batches, prepare the folder,
   * restore a checkpoint (or clear an earlier run), evaluate the base model, run the steps (each
   * possibly followed by an evaluation and a checkpoint), then pick the weights to keep.
   */
  public Result train(Start start) {
    List<List<List<Integer>>> plan = checkedPlan();
    int totalSteps = plan.stream().mapToInt(List::size).sum();
    int warmup = args.warmupStepsFor(totalSteps);
    WarmupLinearSchedule schedule = new WarmupLinearSchedule(args.learningRate(), warmup, totalSteps);
    BertEncoder network = objective.network();
    Map<String, NDArray> params = network.parameters();
    network.setRequiresGradient(true);
    prepareWorkDir(start);
    try (AdamW optimizer = new AdamW(params, args.adamBeta1(), args.adamBeta2(), args.adamEps(), args.weightDecay(),
        args.biasCorrection(), AdamW.SENTENCE_TRANSFORMERS_DECAY)) {
      Progress progress = new Progress();
      boolean resumed = restoreOrClear(start, optimizer, progress);
      listener.onStart(totalSteps, progress.step);
      if (!resumed && objective.evaluates() && args.evalBeforeTraining()) {
        progress.best = evaluate(0, 0, progress.best);
      }
      int done = 0;
      for (int epoch = 0; epoch < plan.size(); epoch++) {
        for (List<Integer> batch : plan.get(epoch)) {
          if (done++ < progress.step) {
            continue; // finished before the checkpoint we resumed from
          }
          step(batch, epoch, params, schedule, optimizer, progress);
          boolean epochEnd = done == sum(plan, epoch);
          afterStep(epoch, epochEnd, optimizer, progress);
        }
      }
      FileTrees.delete(workDir.resolve("eval-model"));
      return new Result(progress.step, log, progress.best, weightsToKeep(progress), objective.batches(0).size(), warmup);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } finally {
      network.setRequiresGradient(false);
    }
  }

  /** The batches of every epoch; a run that would take no step is refused. */
  private List<List<List<Integer>>> checkedPlan() {
    if (args.maxSteps() == 0) {
      throw new QuarryException("Nothing to train: the maximum number of steps is 0 (--max-steps 0).");
    }
    if (objective.rows() == 0) {
      throw new QuarryException("Nothing to train: there are no training rows.");
    }
    List<List<List<Integer>>> plan = plan();
    if (plan.stream().mapToInt(List::size).sum() == 0) {
      throw new QuarryException("Nothing to train: " + args.epochs() + " epochs of " + objective.rows() + " rows give no step.");
    }
    return plan;
  }

  /** Creates the folder, removes half-written checkpoints, and refuses to start FRESH over an earlier run. */
  private void prepareWorkDir(Start start) {
    try {
      Files.createDirectories(checkpoints.dir().getParent());
    } catch (IOException e) {
      throw new QuarryException("Cannot create the training folder " + checkpoints.dir().getParent() + ": " + e.getMessage(), e);
    }
    checkpoints.cleanTemporary();
    if (start == Start.FRESH && (checkpoints.hasAny() || Files.exists(log.file()))) {
      throw new QuarryException(workDir + " holds an earlier training run (" + checkpoints.dir().getFileName() + "/ or "
          + log.file().getFileName() + "). Resume it (--resume) or start over and delete it (--overwrite).");
    }
  }

  /**
   * RESUME with a checkpoint: restores weights, optimizer moments, history and best step, after
   * checking that it is the same run. Otherwise clears an earlier run's checkpoints and log, which
   * must not be resumed or taken as best. Returns whether a checkpoint was restored.
   */
  private boolean restoreOrClear(Start start, AdamW optimizer, Progress progress) throws IOException {
    Checkpoints.Saved saved = start == Start.RESUME ? checkpoints.latest() : null;
    if (saved == null) {
      FileTrees.delete(checkpoints.dir());
      Files.deleteIfExists(log.file());
      return false;
    }
    requireSameRun(saved);
    progress.step = saved.step();
    objective.network().load(new BertWeights(saved.weights()));
    optimizer.restore(saved.optimizer(), saved.state().path("optimizer_steps").asInt(progress.step));
    log.restore(saved.state().get("history"));
    JsonNode b = saved.state().get("best_step");
    if (b != null && !b.isNull()) {
      int bestStep = b.asInt();
      progress.best = log.evals().stream().filter(r -> r.step() == bestStep).findFirst().orElse(null);
    }
    return true;
  }

  /** One optimizer step: forward and backward, clipping, the divergence check, the update, the log. */
  private void step(List<Integer> batch, int epoch, Map<String, NDArray> params, WarmupLinearSchedule schedule,
      AdamW optimizer, Progress progress) {
    long t0 = System.nanoTime();
    long seed = args.seed() * 1_000_003L + progress.step;
    JniUtils.setSeed(seed);
    double lossValue = objective.forwardBackward(batch, seed);
    double gradNorm = GradientClipping.clipGlobalNorm(params.values(), args.maxGradNorm());
    double lr = schedule.lr(progress.step);
    if (!Double.isFinite(lossValue) || !Double.isFinite(gradNorm)) {
      // Checked before the update, so neither the weights nor any checkpoint take the bad step.
      Checkpoints.Saved last = checkpoints.latest();
      throw new QuarryException("Training diverged at step " + (progress.step + 1) + ": the loss is " + lossValue
          + " and the gradient norm " + gradNorm + " (learning rate " + lr + "). Stopped before updating the weights; "
          + (last == null ? "no checkpoint was written yet." : "the last checkpoint (step " + last.step() + ") is intact in "
          + last.dir() + ".") + " Lower the learning rate or check the data.");
    }
    optimizer.step(lr);
    optimizer.zeroGradients();
    progress.step++;
    TrainingLog.StepRecord rec = new TrainingLog.StepRecord(progress.step, epoch, lossValue, lr, gradNorm,
        (System.nanoTime() - t0) / 1e9);
    log.add(rec);
    listener.onStep(rec);
  }

  /** Evaluates every evalSteps and at each epoch's end; checkpoints every checkpointSteps and at each epoch's end. */
  private void afterStep(int epoch, boolean epochEnd, AdamW optimizer, Progress progress) {
    int step = progress.step;
    if (objective.evaluates() && ((args.evalSteps() > 0 && step % args.evalSteps() == 0) || epochEnd)) {
      progress.best = evaluate(step, epoch, progress.best);
    }
    boolean checkpoint = args.checkpointSteps() > 0 ? step % args.checkpointSteps() == 0 || epochEnd
        : args.checkpointSteps() == 0 && epochEnd;
    if (checkpoint) {
      Path p = checkpoints.writeStep(step, objective.network().snapshot().tensors(), optimizer.stateTensors(),
          state(step, epoch, optimizer, progress.best), args.checkpointsKept());
      listener.onCheckpoint(p);
    }
  }

  /** The weights of the best evaluation (kept in the "best" checkpoint), or the last ones. */
  private BertWeights weightsToKeep(Progress progress) {
    TrainingLog.EvalRecord best = progress.best;
    if (best == null || best.step() == progress.step) {
      return objective.network().snapshot();
    }
    Checkpoints.Saved bestSaved = checkpoints.named("best");
    if (bestSaved == null || bestSaved.step() != best.step()) {
      throw new QuarryException("The best weights (step " + best.step() + ") are missing from " + checkpoints.dir()
          + "; the last weights are in the newest checkpoint there.");
    }
    return new BertWeights(bestSaved.weights()); // possibly the base model itself (step 0)
  }

  /** Refuses to resume a checkpoint written with other arguments, another model or other data. */
  private void requireSameRun(Checkpoints.Saved saved) {
    List<String> diffs = new ArrayList<>();
    JsonNode before = saved.state().path("args");
    JsonNode now = Json.tree(args);
    for (Iterator<String> it = now.fieldNames(); it.hasNext(); ) {
      String field = it.next();
      JsonNode a = before.get(field);
      JsonNode b = now.get(field);
      // Compared as text: a long read back from JSON may come as an int node.
      boolean same = a != null && (a.isValueNode() && b.isValueNode() ? a.asText().equals(b.asText()) : a.equals(b));
      if (!RESUMABLE_CHANGES.contains(field) && !same) {
        diffs.add(field + " " + before.get(field) + " -> " + now.get(field));
      }
    }
    String model0 = saved.state().path("base_model").asText(null);
    if (model0 != null && !model0.equals(objective.modelId())) {
      diffs.add("model " + model0 + " -> " + objective.modelId());
    }
    String data0 = saved.state().path("data_sha256").asText(null);
    if (data0 != null && !data0.equals(objective.fingerprint())) {
      diffs.add("training data (other rows, texts or loss settings)");
    }
    if (!diffs.isEmpty()) {
      throw new QuarryException("Cannot resume " + saved.dir() + ": it was written by a run with other settings: "
          + String.join(", ", diffs) + ". Resume with the same settings, or start over with --overwrite.");
    }
  }

  private static int sum(List<List<List<Integer>>> plan, int throughEpoch) {
    int s = 0;
    for (int e = 0; e <= throughEpoch; e++) {
      s += plan.get(e).size();
    }
    return s;
  }

  private TrainingLog.EvalRecord evaluate(int step, int epoch, TrainingLog.EvalRecord best) {
    Map<String, Double> metrics = objective.evaluate(step == 0, workDir.resolve("eval-model"), args.evalBatchSize(), listener);
    TrainingLog.EvalRecord rec = new TrainingLog.EvalRecord(step, epoch, new LinkedHashMap<>(metrics));
    log.add(rec);
    listener.onEvaluation(rec);
    if (best == null || rec.ndcg10() > best.ndcg10()) {
      // Kept on disk, not in memory: a BERT-base copy would cost 440 MB of heap for the whole run.
      checkpoints.write("best", objective.network().snapshot().tensors(), null, Map.of("step", step, "ndcg@10", rec.ndcg10()));
      return rec;
    }
    return best;
  }

  private Map<String, Object> state(int step, int epoch, AdamW optimizer, TrainingLog.EvalRecord best) {
    Map<String, Object> s = new LinkedHashMap<>();
    s.put("step", step);
    s.put("epoch", epoch);
    s.put("optimizer_steps", optimizer.steps());
    s.put("best_step", best == null ? null : best.step());
    s.put("args", args);
    s.put("base_model", objective.modelId());
    s.put("data_sha256", objective.fingerprint());
    s.put("history", log.toJson());
    return s;
  }
}
