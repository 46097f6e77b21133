package dev.quarry.cli;

import dev.quarry.QuarryException;
import dev.quarry.data.BeirDataset;
import dev.quarry.eval.InformationRetrievalEvaluator;
import dev.quarry.eval.IrMetrics;
import dev.quarry.model.ModelFolder;
import dev.quarry.similarity.SimilarityFunction;
import dev.quarry.train.FineTuning;
import dev.quarry.train.Trainer;
import dev.quarry.train.TrainingArguments;
import dev.quarry.train.TrainingEvaluation;
import dev.quarry.train.TrainingLog;
import dev.quarry.train.examples.TrainingData;
import dev.quarry.train.examples.TrainingExample;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code quarry train}: the fine-tuning recipe (MNRL, AdamW, WarmupLinear), saved as a sentence-transformers folder. */
@Command(name = "train", mixinStandardHelpOptions = true,
    description = {"Fine-tune a BERT sentence-transformers model with MultipleNegativesRankingLoss on (query, passage) pairs.",
        "Defaults are the reference recipe: scale 20, dot, AdamW lr 2e-5 eps 1e-6 wd 0.01, 10%% warm-up, batch 16, 1 epoch, clip 1.0."})
final class TrainCommand implements Callable<Integer> {
  /** The reference recipe: every option's default comes from here, in one place. */
  private static final TrainingArguments DEFAULTS = TrainingArguments.defaults();

  @Mixin ModelOptions model;
  @Spec CommandSpec spec;

  @Option(names = {"-d", "--dataset"}, paramLabel = "DIR",
      description = "BEIR-layout folder with the training (and evaluation) qrels, or '" + DatasetOptions.BUNDLED + "'. Default: ${DEFAULT-VALUE}.")
  String dataset = DatasetOptions.BUNDLED;

  @Option(names = "--train-split", description = "qrels split to train on (default: ${DEFAULT-VALUE}).")
  String trainSplit = "train";

  @Option(names = "--train-file", paramLabel = "FILE", description = "Train on JSONL/CSV pairs or triplets (anchor, positive[, negatives]) instead of BEIR qrels;"
      + " the ids of a file from quarry mine are checked against the dataset.")
  Path trainFile;

  @Option(names = "--eval-split", description = "qrels split to evaluate on, or 'none' (default: ${DEFAULT-VALUE}).")
  String evalSplit = "test";

  @Option(names = {"-o", "--output"}, paramLabel = "DIR", required = true, description = "Where the fine-tuned model folder goes.")
  Path output;

  @Option(names = "--max-seq-length", description = "Truncate texts at N word-pieces for training and the saved model (default: the model's).") Integer maxSeqLength;
  @Option(names = "--epochs", description = "Default: ${DEFAULT-VALUE}.") int epochs = DEFAULTS.epochs();
  @Option(names = "--batch-size", description = "Default: ${DEFAULT-VALUE}.") int batchSize = DEFAULTS.batchSize();
  @Option(names = "--lr", description = "Peak learning rate (default: ${DEFAULT-VALUE}).") double lr = DEFAULTS.learningRate();
  @Option(names = "--warmup-steps", description = "Default: 10%% of all steps.") Integer warmupSteps;
  @Option(names = "--weight-decay", description = "Default: ${DEFAULT-VALUE} (not on biases and LayerNorm weights).") double weightDecay = DEFAULTS.weightDecay();
  @Option(names = "--adam-eps", description = "Default: ${DEFAULT-VALUE}.") double adamEps = DEFAULTS.adamEps();
  @Option(names = "--bias-correction", description = "Adam bias correction (torch.optim.AdamW); the reference ran without.") boolean biasCorrection = DEFAULTS.biasCorrection();
  @Option(names = "--max-grad-norm", description = "Default: ${DEFAULT-VALUE}.") double maxGradNorm = DEFAULTS.maxGradNorm();
  @Option(names = "--scale", description = "MNRL scale (default: ${DEFAULT-VALUE}).") double scale = DEFAULTS.scale();
  @Option(names = "--similarity", description = "MNRL similarity: dot or cosine (default: ${DEFAULT-VALUE}).") String similarity = DEFAULTS.similarity().id();
  @Option(names = "--loss", description = "mnrl (MultipleNegativesRankingLoss) or cached-mnrl (GradCache: same gradients, the memory of"
      + " --mini-batch-size texts, so --batch-size can reach 128-1024). Default: ${DEFAULT-VALUE}.") String loss = DEFAULTS.loss();
  @Option(names = "--mini-batch-size", description = "cached-mnrl: texts embedded at once (default: ${DEFAULT-VALUE}).") int miniBatchSize = DEFAULTS.miniBatchSize();
  @Option(names = "--matryoshka-dims", split = ",", paramLabel = "D", description = "Wrap the loss in MatryoshkaLoss at these dimensions, e.g. 384,256,128,64.")
  List<Integer> matryoshkaDims = List.of();
  @Option(names = "--matryoshka-weights", split = ",", paramLabel = "W", description = "One weight per Matryoshka dimension (default: 1 each).")
  List<Double> matryoshkaWeights = List.of();
  @Option(names = "--seed", description = "Default: ${DEFAULT-VALUE}.") long seed = DEFAULTS.seed();
  @Option(names = "--max-steps", description = "Stop after this many steps.") int maxSteps = DEFAULTS.maxSteps();
  @Option(names = "--eval-steps", description = "Evaluate every N steps, besides before training and after each epoch (default: ${DEFAULT-VALUE}).") int evalSteps = DEFAULTS.evalSteps();
  @Option(names = "--eval-batch-size", description = "Default: ${DEFAULT-VALUE}.") int evalBatchSize = DEFAULTS.evalBatchSize();
  @Option(names = "--checkpoint-steps", description = "Write a resumable checkpoint every N steps (default: ${DEFAULT-VALUE}).") int checkpointSteps = DEFAULTS.checkpointSteps();
  @Option(names = "--resume", description = "Continue from the newest checkpoint in the output folder (same settings and data).") boolean resume;
  @Option(names = "--overwrite", description = "Start over in an output folder that holds an earlier run (its checkpoints and log are deleted).") boolean overwrite;
  @Option(names = "--keep-checkpoints", description = "Keep <output>/checkpoints after a finished run (default: removed).") boolean keepCheckpoints;

  @Override
  public Integer call() throws Exception {
    long start = System.nanoTime();
    if (resume && overwrite) {
      throw new QuarryException("--resume and --overwrite exclude each other: continue the earlier run, or start over.");
    }
    SimilarityFunction sim = SimilarityFunction.fromId(similarity); // dot or cosine: TrainingArguments refuses the others
    TrainingArguments args = TrainingArguments.builder().epochs(epochs).batchSize(batchSize).learningRate(lr)
        .warmupSteps(warmupSteps == null ? -1 : warmupSteps).weightDecay(weightDecay).adamEps(adamEps)
        .biasCorrection(biasCorrection).maxGradNorm(maxGradNorm).scale(scale).similarity(sim).seed(seed)
        .maxSteps(maxSteps).evalSteps(evalSteps).evalBatchSize(evalBatchSize).checkpointSteps(checkpointSteps)
        .loss(loss).miniBatchSize(miniBatchSize).matryoshkaDims(matryoshkaDims).matryoshkaWeights(matryoshkaWeights).build();
    DatasetOptions ds = new DatasetOptions();
    ds.dataset = dataset;
    boolean datasetGiven = spec.commandLine().getParseResult().hasMatchedOption("--dataset");
    // Without evaluation a training file needs no dataset, unless one is named to check its ids against.
    Path dataDir = trainFile != null && evalSplit.equals("none") && !datasetGiven ? null : ds.folder();
    List<TrainingExample> rows = trainFile != null ? TrainingData.read(trainFile, dataDir == null ? null : idCheck(dataDir))
        : TrainingData.fromBeir(BeirDataset.load(dataDir, trainSplit, false));
    TrainingEvaluation evaluation = null;
    if (!evalSplit.equals("none")) {
      BeirDataset evalData = BeirDataset.load(dataDir, evalSplit, false);
      evaluation = new TrainingEvaluation(new InformationRetrievalEvaluator(evalData.queries().byId(), evalData.qrels(),
          IrMetrics.defaults(), dataDir.getFileName() + "-" + evalSplit), evalData.corpus(), CorpusEncoding.cache());
    }
    ModelFolder source = model.resolveForTraining();
    if (maxSeqLength != null) {
      source = source.withMaxSeqLength(maxSeqLength);
    }
    System.err.printf(Locale.ROOT, "quarry: fine-tuning %s on %d rows (%d per batch%s, %d epochs, %s%s) -> %s%n",
        source.modelId(), rows.size(), batchSize, args.loss().equals(TrainingArguments.CACHED_MNRL) ? " in mini-batches of " + miniBatchSize : "",
        epochs, args.loss(), matryoshkaDims.isEmpty() ? "" : " in MatryoshkaLoss " + matryoshkaDims, output);
    Trainer.Start mode = resume ? Trainer.Start.RESUME : overwrite ? Trainer.Start.OVERWRITE : Trainer.Start.FRESH;
    FineTuning.Result result = FineTuning.run(source, rows, args, evaluation, output, new FineTuning.Options(mode, keepCheckpoints,
        model.threads == null ? 0 : model.threads, new TrainingProgress(System.err)));
    TrainingLog log = result.log();
    printSummary(result.base(), result.best(), log);
    System.out.printf(Locale.ROOT, "%nSaved %s (sentence-transformers layout + onnx/model.onnx); log %s; plot %s%n",
        output, log.file().getFileName(), result.plot().getFileName());
    System.err.printf(Locale.ROOT, "quarry: trained %d steps in %.1f s (mean step %.2f s)%n", result.steps(),
        (System.nanoTime() - start) / 1e9,
        log.steps().stream().mapToDouble(TrainingLog.StepRecord::seconds).average().orElse(Double.NaN));
    return 0;
  }

  /** The dataset a mined file's ids are checked against: the training split's qrels where it has them. */
  private BeirDataset idCheck(Path dataDir) {
    String split = Files.isRegularFile(dataDir.resolve("qrels").resolve(trainSplit + ".tsv")) ? trainSplit : evalSplit;
    return Files.isRegularFile(dataDir.resolve("qrels").resolve(split + ".tsv")) ? BeirDataset.load(dataDir, split, false) : null;
  }

  private static void printSummary(TrainingLog.EvalRecord base, TrainingLog.EvalRecord best, TrainingLog log) {
    if (best == null) {
      return;
    }
    TrainingLog.EvalRecord last = log.evals().get(log.evals().size() - 1);
    System.out.printf(Locale.ROOT, "%n%-14s %10s %12s %12s%n", "metric", "base", "best (" + best.step() + ")", "last (" + last.step() + ")");
    for (Map.Entry<String, Double> e : best.metrics().entrySet()) {
      if (e.getKey().startsWith("ndcg_graded")) {
        continue;
      }
      double b = base == null ? Double.NaN : base.metrics().getOrDefault(e.getKey(), Double.NaN);
      System.out.printf(Locale.ROOT, "%-14s %10.4f %12.4f %12.4f%n", e.getKey(), b, e.getValue(), last.metrics().get(e.getKey()));
    }
  }
}
