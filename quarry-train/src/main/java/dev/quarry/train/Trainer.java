package dev.quarry.train;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.GradientCollector;
import com.fasterxml.jackson.databind.JsonNode;
import dev.quarry.Digests;
import dev.quarry.FileTrees;
import dev.quarry.QuarryException;
import dev.quarry.eval.IrResult;
import dev.quarry.inference.BertWeights;
import dev.quarry.io.Json;
import dev.quarry.train.examples.NoDuplicatesBatchSampler;
import dev.quarry.train.examples.TrainingExample;
import dev.quarry.train.loss.CachedMultipleNegativesRankingLoss;
import dev.quarry.train.loss.EmbeddingLoss;
import dev.quarry.train.loss.TrainingLoss;
import dev.quarry.train.network.TrainableSentenceTransformer;
import dev.quarry.train.optim.AdamW;
import dev.quarry.train.optim.GradientClipping;
import dev.quarry.train.optim.WarmupLinearSchedule;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * sentence-transformers' {@code fit()} for MultipleNegativesRankingLoss (plain or cached, optionally
 * inside MatryoshkaLoss): no-duplicates batches,
 * forward and backward through the PyTorch engine, global-norm clipping, AdamW on a WarmupLinear
 * schedule, IR evaluation every N steps with the best weights kept, resumable checkpoints.
 *
 * <p>Repeatability: batch order depends on (seed, epoch) and libtorch's generator is re-seeded from
 * (seed, step) before each step, so dropout masks depend only on the step. A run resumed from a
 * checkpoint therefore takes the same steps as one that was never interrupted.
 */
public final class Trainer {
  private final TrainableSentenceTransformer model;
  private final List<TrainingExample> examples;
  private final TrainingArguments args;
  private final TrainingEvaluation evaluation;
  private final Checkpoints checkpoints;
  private final TrainingLog log;
  private final Path workDir;
  private final TrainingListener listener;
  /** The loss on a batch's embeddings: MNRL, possibly inside MatryoshkaLoss. */
  private final EmbeddingLoss loss;
  /** Set for {@code --loss cached-mnrl}: the batch is embedded mini-batch by mini-batch. */
  private final CachedMultipleNegativesRankingLoss cached;
  private final NoDuplicatesBatchSampler sampler;

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
    this.model = model;
    this.examples = examples;
    this.args = args;
    this.evaluation = evaluation;
    this.checkpoints = new Checkpoints(workDir.resolve("checkpoints"));
    this.log = new TrainingLog(workDir.resolve("training_log.jsonl"));
    this.workDir = workDir;
    this.listener = listener == null ? new TrainingListener() {} : listener;
    this.loss = trainingLoss.loss();
    this.cached = trainingLoss.cached();
    this.sampler = new NoDuplicatesBatchSampler(examples, args.batchSize(), false, args.seed());
  }

  public TrainingLog log() {
    return log;
  }

  /** The batches of every epoch (row indices), cut at max steps. */
  List<List<List<Integer>>> plan() {
    List<List<List<Integer>>> epochs = new ArrayList<>();
    int total = 0;
    for (int e = 0; e < args.epochs(); e++) {
      List<List<Integer>> batches = sampler.batches(e);
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
    Map<String, NDArray> params = model.encoder().parameters();
    model.encoder().setRequiresGradient(true);
    prepareWorkDir(start);
    try (AdamW optimizer = new AdamW(params, args.adamBeta1(), args.adamBeta2(), args.adamEps(), args.weightDecay(),
        args.biasCorrection(), AdamW.SENTENCE_TRANSFORMERS_DECAY)) {
      Progress progress = new Progress();
      boolean resumed = restoreOrClear(start, optimizer, progress);
      listener.onStart(totalSteps, progress.step);
      if (!resumed && evaluation != null && args.evalBeforeTraining()) {
        progress.best = evaluate(0, 0, progress.best);
      }
      int negatives = examples.get(0).negatives().size();
      int done = 0;
      for (int epoch = 0; epoch < plan.size(); epoch++) {
        for (List<Integer> batch : plan.get(epoch)) {
          if (done++ < progress.step) {
            continue; // finished before the checkpoint we resumed from
          }
          step(batch, negatives, epoch, params, schedule, optimizer, progress);
          boolean epochEnd = done == sum(plan, epoch);
          afterStep(epoch, epochEnd, optimizer, progress);
        }
      }
      FileTrees.delete(workDir.resolve("eval-model"));
      return new Result(progress.step, log, progress.best, weightsToKeep(progress), sampler.batchesPerEpoch(), warmup);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } finally {
      model.encoder().setRequiresGradient(false);
    }
  }

  /** The batches of every epoch; a run that would take no step is refused. */
  private List<List<List<Integer>>> checkedPlan() {
    if (args.maxSteps() == 0) {
      throw new QuarryException("Nothing to train: the maximum number of steps is 0 (--max-steps 0).");
    }
    if (examples.isEmpty()) {
      throw new QuarryException("Nothing to train: there are no training rows.");
    }
    List<List<List<Integer>>> plan = plan();
    if (plan.stream().mapToInt(List::size).sum() == 0) {
      throw new QuarryException("Nothing to train: " + args.epochs() + " epochs of " + examples.size() + " rows give no step.");
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
    model.encoder().load(new BertWeights(saved.weights()));
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
  private void step(List<Integer> batch, int negatives, int epoch, Map<String, NDArray> params, WarmupLinearSchedule schedule,
      AdamW optimizer, Progress progress) {
    long t0 = System.nanoTime();
    long seed = args.seed() * 1_000_003L + progress.step;
    JniUtils.setSeed(seed);
    double lossValue = forwardBackward(batch, negatives, seed);
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
    if (evaluation != null && ((args.evalSteps() > 0 && step % args.evalSteps() == 0) || epochEnd)) {
      progress.best = evaluate(step, epoch, progress.best);
    }
    boolean checkpoint = args.checkpointSteps() > 0 ? step % args.checkpointSteps() == 0 || epochEnd
        : args.checkpointSteps() == 0 && epochEnd;
    if (checkpoint) {
      Path p = checkpoints.writeStep(step, model.encoder().snapshot().tensors(), optimizer.stateTensors(),
          state(step, epoch, optimizer, progress.best), args.checkpointsKept());
      listener.onCheckpoint(p);
    }
  }

  /** The weights of the best evaluation (kept in the "best" checkpoint), or the last ones. */
  private BertWeights weightsToKeep(Progress progress) {
    TrainingLog.EvalRecord best = progress.best;
    if (best == null || best.step() == progress.step) {
      return model.encoder().snapshot();
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
    if (model0 != null && !model0.equals(model.folder().modelId())) {
      diffs.add("model " + model0 + " -> " + model.folder().modelId());
    }
    String data0 = saved.state().path("data_sha256").asText(null);
    if (data0 != null && !data0.equals(dataFingerprint())) {
      diffs.add("training data (other rows or texts)");
    }
    if (!diffs.isEmpty()) {
      throw new QuarryException("Cannot resume " + saved.dir() + ": it was written by a run with other settings: "
          + String.join(", ", diffs) + ". Resume with the same settings, or start over with --overwrite.");
    }
  }

  /** SHA-256 of the training rows in order (what a resumed run must see again). */
  private String dataFingerprint() {
    MessageDigest md = Digests.sha256();
    for (TrainingExample e : examples) {
      for (String t : e.texts()) {
        byte[] b = t.getBytes(StandardCharsets.UTF_8);
        md.update(ByteBuffer.allocate(4).putInt(b.length).array());
        md.update(b);
      }
      md.update((byte) 0);
    }
    return HexFormat.of().formatHex(md.digest());
  }

  private static int sum(List<List<List<Integer>>> plan, int throughEpoch) {
    int s = 0;
    for (int e = 0; e <= throughEpoch; e++) {
      s += plan.get(e).size();
    }
    return s;
  }

  /** One batch: embeddings of anchors and candidates, the loss, its gradients. Returns the loss. */
  private double forwardBackward(List<Integer> batch, int negatives, long seed) {
    List<String> anchors = new ArrayList<>();
    List<String> candidates = new ArrayList<>();
    for (int i : batch) {
      anchors.add(examples.get(i).anchor());
      candidates.add(examples.get(i).positive());
    }
    for (int n = 0; n < negatives; n++) {
      for (int i : batch) {
        candidates.add(examples.get(i).negatives().get(n));
      }
    }
    if (cached != null) {
      return cached.forwardBackward(model::embed, anchors, candidates, seed, true);
    }
    try (NDManager sm = NDManager.newBaseManager("PyTorch");
        GradientCollector collector = Engine.getEngine("PyTorch").newGradientCollector()) {
      NDArray a = model.embed(sm, anchors, true);
      NDArray c = model.embed(sm, candidates, true);
      NDArray l = loss.compute(a, c);
      collector.backward(l);
      return l.getFloat();
    }
  }

  private TrainingLog.EvalRecord evaluate(int step, int epoch, TrainingLog.EvalRecord best) {
    IrResult result = evaluation.evaluate(model, step == 0, workDir.resolve("eval-model"), args.evalBatchSize(), listener);
    String fn = args.similarity().id();
    TrainingLog.EvalRecord rec = new TrainingLog.EvalRecord(step, epoch, new LinkedHashMap<>(result.metrics().get(fn)));
    log.add(rec);
    listener.onEvaluation(rec);
    if (best == null || rec.ndcg10() > best.ndcg10()) {
      // Kept on disk, not in memory: a BERT-base copy would cost 440 MB of heap for the whole run.
      checkpoints.write("best", model.encoder().snapshot().tensors(), null, Map.of("step", step, "ndcg@10", rec.ndcg10()));
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
    s.put("base_model", model.folder().modelId());
    s.put("data_sha256", dataFingerprint());
    s.put("history", log.toJson());
    return s;
  }
}
