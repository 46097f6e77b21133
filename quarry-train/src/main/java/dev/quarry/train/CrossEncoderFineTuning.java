package dev.quarry.train;

import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.jni.JniUtils;
import dev.quarry.FileTrees;
import dev.quarry.QuarryFailure;
import dev.quarry.train.examples.RerankExample;
import dev.quarry.train.export.CrossEncoderCard;
import dev.quarry.train.export.CrossEncoderWriter;
import dev.quarry.train.loss.CrossEncoderLoss;
import dev.quarry.train.network.TrainableCrossEncoder;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * The library's entry point for training a reranker, what {@code quarry train-reranker} calls:
 * sentence-transformers' {@code CrossEncoderTrainer} with the bi-encoder trainer's machinery (AdamW,
 * warm-up, clipping, checkpoints, resume, the best evaluation kept), then the cross-encoder folder
 * ({@link CrossEncoderWriter}) with its card, curves and log.
 *
 * <pre>{@code
 * CrossEncoderFineTuning.Result r = CrossEncoderFineTuning.run(
 *     manager -> TrainableCrossEncoder.fromEncoder(ModelFolder.readForTraining(dir, id), 1, 256, 42, manager),
 *     rows, new BinaryCrossEntropyLoss(4.0), TrainingArguments.defaults(), null, Path.of("reranker"), FineTuning.Options.defaults());
 * }</pre>
 */
public final class CrossEncoderFineTuning {
  private CrossEncoderFineTuning() {}

  /** The activation saved with a one-label reranker: sentence-transformers' default, Sigmoid. */
  public static final String ACTIVATION = CrossEncoderLoss.SIGMOID;

  /**
   * What a finished run leaves.
   *
   * @param firstStage the evaluation's first-stage metrics (null without evaluation)
   * @param base the reranked metrics before training (null without evaluation)
   * @param best the best reranked evaluation, whose weights were saved (null without one: the last weights)
   */
  public record Result(Path folder, Path plot, TrainingLog log, int steps, int rows, Map<String, Double> firstStage,
      TrainingLog.EvalRecord base, TrainingLog.EvalRecord best) {}

  /**
   * Trains the network {@code source} builds on {@code rows} and saves it in {@code output}.
   *
   * @param evaluation run before training, every {@code args.evalSteps()} and after each epoch; null for none
   */
  public static Result run(Function<NDManager, TrainableCrossEncoder> source, List<RerankExample> rows, CrossEncoderLoss loss,
      TrainingArguments args, RerankingEvaluation evaluation, Path output, FineTuning.Options options) {
    try {
      Files.createDirectories(output);
    } catch (IOException e) {
      throw new QuarryFailure("Cannot create " + output + ": " + e.getMessage(), e);
    }
    Path png = output.resolve("training_curves.png");
    try (NDManager manager = NDManager.newBaseManager("PyTorch"); TrainableCrossEncoder model = source.apply(manager)) {
      if (options.intraOpThreads() > 0) {
        JniUtils.setNumThreads(options.intraOpThreads());
      }
      CrossEncoderObjective objective = new CrossEncoderObjective(model, rows, args, loss, evaluation);
      Trainer.Result result = new Trainer(objective, args, output, options.listener()).train(options.start());
      TrainingLog log = result.log();
      TrainingLog.EvalRecord before = log.evals().stream().filter(e -> e.step() == 0).findFirst().orElse(null);
      Map<String, Double> firstStage = evaluation == null ? null : evaluation.firstStage();
      TrainingLog.EvalRecord best = result.best();
      String card = CrossEncoderCard.render(output.getFileName().toString(), new CrossEncoderCard.Run(model.modelId(), objective.rows(),
          args.batchSize(), result.batchesPerEpoch(), model.maxLength(), loss.card(), args.fitParameters(result.warmupSteps()),
          firstStage, before == null ? null : before.metrics(), best == null ? null : best.metrics(), best == null ? -1 : best.step()));
      CrossEncoderWriter.write(output, model.config(), result.finalWeights(),
          new CrossEncoderWriter.Head(model.numLabels(), ACTIVATION, model.maxLength(), model.tokenizerFile()), card);
      if (!options.keepCheckpoints()) {
        FileTrees.delete(output.resolve("checkpoints"));
      }
      TrainingPlot.write(log, png, "Reranker from " + model.modelId());
      return new Result(output, png, log, result.steps(), objective.rows(), firstStage, before, best);
    } catch (IOException e) {
      throw new QuarryFailure("Cannot save the trained cross-encoder in " + output + ": " + e.getMessage(), e);
    }
  }
}
