package dev.quarry.train;

import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.jni.JniUtils;
import dev.quarry.FileTrees;
import dev.quarry.QuarryFailure;
import dev.quarry.model.ModelFolder;
import dev.quarry.train.examples.TrainingExample;
import dev.quarry.train.export.ModelCard;
import dev.quarry.train.export.SentenceTransformerWriter;
import dev.quarry.train.loss.TrainingLoss;
import dev.quarry.train.network.TrainableSentenceTransformer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The library's entry point for fine-tuning, what {@code quarry train} calls: train (resumable),
 * then save the sentence-transformers folder with its model card, the loss and metric curves
 * ({@code training_curves.png}) and the log, and remove the checkpoints of a finished run.
 *
 * <pre>{@code
 * FineTuning.Result r = FineTuning.run(ModelFolder.readForTraining(dir, id), TrainingData.read(file),
 *     TrainingArguments.defaults(), null, Path.of("out"), FineTuning.Options.defaults());
 * }</pre>
 */
public final class FineTuning {
  private FineTuning() {}

  /**
   * How the run is started and kept.
   *
   * @param start FRESH, RESUME or OVERWRITE (see {@link Trainer.Start})
   * @param keepCheckpoints keep {@code <output>/checkpoints} after the run finished
   * @param intraOpThreads libtorch's threads; 0 or less: its default
   * @param listener progress and evaluations as they happen
   */
  public record Options(Trainer.Start start, boolean keepCheckpoints, int intraOpThreads, TrainingListener listener) {
    public static Options defaults() {
      return new Options(Trainer.Start.FRESH, false, 0, new TrainingListener() {});
    }
  }

  /**
   * What a finished run leaves.
   *
   * @param base the evaluation before training (null without one)
   * @param best the best evaluation, whose weights were saved (null without evaluation: the last weights)
   */
  public record Result(Path folder, Path plot, TrainingLog log, int steps, int batchesPerEpoch, TrainingLog.EvalRecord base,
      TrainingLog.EvalRecord best) {}

  private static ModelCard.Evaluation cardEvaluation(TrainingArguments args, TrainingLog.EvalRecord before, TrainingLog.EvalRecord best) {
    return best == null ? null
        : new ModelCard.Evaluation(args.similarity().id(), best.step(), before == null ? null : before.metrics(), best.metrics());
  }

  /**
   * Fine-tunes {@code base} on {@code rows} and saves the result in {@code output}.
   *
   * @param evaluation run before training, every {@code args.evalSteps()} and after each epoch; null for none
   */
  public static Result run(ModelFolder base, List<TrainingExample> rows, TrainingArguments args, TrainingEvaluation evaluation,
      Path output, Options options) {
    try {
      Files.createDirectories(output);
    } catch (IOException e) {
      throw new QuarryFailure("Cannot create " + output + ": " + e.getMessage(), e);
    }
    Path png = output.resolve("training_curves.png");
    try (NDManager manager = NDManager.newBaseManager("PyTorch");
        TrainableSentenceTransformer model = TrainableSentenceTransformer.load(base, manager)) {
      if (options.intraOpThreads() > 0) {
        JniUtils.setNumThreads(options.intraOpThreads());
      }
      TrainingLoss loss = args.trainingLoss(base.pooling().outputDimension());
      Trainer.Result result = new Trainer(model, rows, args, loss, evaluation, output, options.listener()).train(options.start());
      TrainingLog log = result.log();
      int batches = result.batchesPerEpoch();
      TrainingLog.EvalRecord before = log.evals().stream().filter(e -> e.step() == 0).findFirst().orElse(null);
      String card = ModelCard.render(output.getFileName().toString(), base, model.config(), new ModelCard.Run(rows.size(), args.batchSize(),
          batches, loss.cards(), args.fitParameters(result.warmupSteps()), cardEvaluation(args, before, result.best())));
      SentenceTransformerWriter.write(output, base, model.config(), result.finalWeights(), card);
      if (!options.keepCheckpoints()) {
        FileTrees.delete(output.resolve("checkpoints")); // the run finished: the folder itself is the result
      }
      TrainingPlot.write(log, png, "Fine-tuning " + base.modelId());
      return new Result(output, png, log, result.steps(), batches, before, result.best());
    } catch (IOException e) {
      throw new QuarryFailure("Cannot save the trained model in " + output + ": " + e.getMessage(), e);
    }
  }
}
