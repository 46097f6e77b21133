package dev.quarry.cli;

import dev.quarry.QuarryException;
import dev.quarry.data.BeirDataset;
import dev.quarry.encode.SentenceTransformer;
import dev.quarry.eval.InformationRetrievalEvaluator;
import dev.quarry.eval.IrMetrics;
import dev.quarry.index.PassageIndex;
import dev.quarry.index.SearchMode;
import dev.quarry.model.BuiltinModels;
import dev.quarry.model.ModelKind;
import dev.quarry.search.Hit;
import dev.quarry.search.Searcher;
import dev.quarry.train.CrossEncoderFineTuning;
import dev.quarry.train.FineTuning;
import dev.quarry.train.RerankingEvaluation;
import dev.quarry.train.Trainer;
import dev.quarry.train.TrainingArguments;
import dev.quarry.train.TrainingLog;
import dev.quarry.train.examples.LabelledPairs;
import dev.quarry.train.examples.RerankExample;
import dev.quarry.train.examples.TrainingData;
import dev.quarry.train.loss.BinaryCrossEntropyLoss;
import dev.quarry.train.loss.CrossEncoderLoss;
import dev.quarry.train.loss.CrossEncoderMultipleNegativesRankingLoss;
import dev.quarry.train.loss.ListNetLoss;
import dev.quarry.train.network.TrainableCrossEncoder;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code quarry train-reranker}: a cross-encoder trained on (query, passage) rows, saved as a folder Python's CrossEncoder loads. */
@Command(name = "train-reranker", mixinStandardHelpOptions = true,
    description = {"Train a cross-encoder (reranker) from a BERT encoder (a new classification head) or a cross-encoder folder.",
        "Rows: the dataset's qrels, a file from `quarry mine` (--train-file) or labelled pairs (--pairs-file).",
        "Losses as sentence-transformers' cross_encoder.losses: bce (BinaryCrossEntropyLoss), mnrl (MultipleNegativesRankingLoss),"
            + " listnet (ListNetLoss)."})
final class TrainRerankerCommand implements Callable<Integer> {
  @Mixin ModelOptions model;

  @Option(names = {"-d", "--dataset"}, paramLabel = "DIR",
      description = "BEIR-layout folder with the training (and evaluation) qrels, or '" + DatasetOptions.BUNDLED + "'. Default: ${DEFAULT-VALUE}.")
  String dataset = DatasetOptions.BUNDLED;

  @Option(names = "--train-split", description = "qrels split to train on (default: ${DEFAULT-VALUE}).") String trainSplit = "train";

  @Option(names = "--train-file", paramLabel = "FILE",
      description = "(query, positive, negatives...) rows from `quarry mine` (n-tuple or triplet; ids checked against the dataset).")
  Path trainFile;

  @Option(names = "--pairs-file", paramLabel = "FILE", description = "Labelled pairs: JSONL {query, passage, label} or CSV/TSV query,passage,label.")
  Path pairsFile;

  @Option(names = "--loss", description = "bce, mnrl or listnet (default: ${DEFAULT-VALUE}).") String loss = "bce";
  @Option(names = "--pos-weight", description = "bce: the weight of positive pairs, e.g. the negatives per positive (default: none).") Double posWeight;
  @Option(names = "--num-negatives", description = "mnrl: in-batch negatives per query (default: ${DEFAULT-VALUE}).") int numNegatives = 4;
  @Option(names = "--scale", description = "mnrl: the sigmoid scores' scale (default: ${DEFAULT-VALUE}).") double scale = 10;

  @Option(names = "--eval-split", description = "qrels split to evaluate on during training, or 'none' (default: ${DEFAULT-VALUE}).")
  String evalSplit = "none";
  @Option(names = "--first-stage", description = "Where the evaluation's candidates come from: bm25, hybrid or dense over the corpus index (default: ${DEFAULT-VALUE}).")
  String firstStage = "bm25";
  @Option(names = "--first-stage-model", paramLabel = "MODEL", description = "The bi-encoder of the evaluation's index (default: ${DEFAULT-VALUE}).")
  String firstStageModel = BuiltinModels.defaultId();
  @Option(names = "--eval-depth", description = "Candidates reranked per evaluated query (default: ${DEFAULT-VALUE}).") int evalDepth = 100;

  @Option(names = {"-o", "--output"}, paramLabel = "DIR", required = true, description = "Where the cross-encoder folder goes.")
  Path output;

  @Option(names = "--max-length", description = "Tokens per (query, passage) pair, for training and the saved model (default: the base's).") int maxLength;
  @Option(names = "--epochs", description = "Default: ${DEFAULT-VALUE}.") int epochs = 1;
  @Option(names = "--batch-size", description = "Rows per step (pairs for bce) (default: ${DEFAULT-VALUE}).") int batchSize = 16;
  @Option(names = "--lr", description = "Peak learning rate (default: ${DEFAULT-VALUE}).") double lr = 2e-5;
  @Option(names = "--warmup-steps", description = "Default: 10%% of all steps.") Integer warmupSteps;
  @Option(names = "--weight-decay", description = "Default: ${DEFAULT-VALUE}.") double weightDecay = 0.01;
  @Option(names = "--adam-eps", description = "Default: ${DEFAULT-VALUE} (transformers' Trainer).") double adamEps = 1e-8;
  @Option(names = "--max-grad-norm", description = "Default: ${DEFAULT-VALUE}.") double maxGradNorm = 1.0;
  @Option(names = "--seed", description = "Seeds the head, the batches and dropout (default: ${DEFAULT-VALUE}).") long seed = 42;
  @Option(names = "--max-steps", description = "Stop after this many steps.") int maxSteps = -1;
  @Option(names = "--eval-steps", description = "Evaluate every N steps, besides before training and after each epoch (default: ${DEFAULT-VALUE}).") int evalSteps = 5000;
  @Option(names = "--checkpoint-steps", description = "Write a resumable checkpoint every N steps (default: ${DEFAULT-VALUE}).") int checkpointSteps = 500;
  @Option(names = "--resume", description = "Continue from the newest checkpoint in the output folder (same settings and data).") boolean resume;
  @Option(names = "--overwrite", description = "Start over in an output folder that holds an earlier run.") boolean overwrite;
  @Option(names = "--keep-checkpoints", description = "Keep <output>/checkpoints after a finished run (default: removed).") boolean keepCheckpoints;

  @Override
  public Integer call() {
    long start = System.nanoTime();
    if (resume && overwrite) {
      throw new QuarryException("--resume and --overwrite exclude each other: continue the earlier run, or start over.");
    }
    if (trainFile != null && pairsFile != null) {
      throw new QuarryException("--train-file and --pairs-file exclude each other: give one source of training rows.");
    }
    // transformers' Trainer (what CrossEncoderTrainer runs on) corrects Adam's bias; the other knobs are the bi-encoder recipe's.
    TrainingArguments args = TrainingArguments.builder().epochs(epochs).batchSize(batchSize).learningRate(lr)
        .warmupSteps(warmupSteps == null ? -1 : warmupSteps).weightDecay(weightDecay).adamEps(adamEps).biasCorrection(true)
        .maxGradNorm(maxGradNorm).seed(seed).maxSteps(maxSteps).evalSteps(evalSteps).checkpointSteps(checkpointSteps).build();
    CrossEncoderLoss lossFn = switch (loss) {
      case "bce" -> new BinaryCrossEntropyLoss(posWeight);
      case "mnrl" -> new CrossEncoderMultipleNegativesRankingLoss(numNegatives, scale);
      case "listnet" -> new ListNetLoss();
      default -> throw new QuarryException("Unknown loss '" + loss + "' (--loss): use bce, mnrl or listnet.");
    };
    DatasetOptions ds = new DatasetOptions();
    ds.dataset = dataset;
    List<RerankExample> rows = rows(ds);
    RerankingEvaluation evaluation = evalSplit.equals("none") ? null : evaluation(ds);
    Path base = model.locate();
    boolean crossEncoder = ModelKind.detect(base).name().equals(ModelKind.CROSS_ENCODER);
    System.err.printf(Locale.ROOT, "quarry: training a reranker from %s%s on %d rows with %s -> %s%n", model.model,
        crossEncoder ? "" : " (new classification head)", rows.size(), lossFn.card().simpleName(), output);
    Trainer.Start mode = resume ? Trainer.Start.RESUME : overwrite ? Trainer.Start.OVERWRITE : Trainer.Start.FRESH;
    CrossEncoderFineTuning.Result r = CrossEncoderFineTuning.run(
        manager -> crossEncoder ? TrainableCrossEncoder.fromCrossEncoder(model.resolveCrossEncoder(), maxLength, manager)
            : TrainableCrossEncoder.fromEncoder(model.resolveForTraining(), 1, maxLength, seed, manager),
        rows, lossFn, args, evaluation, output, new FineTuning.Options(mode, keepCheckpoints, model.threads == null ? 0 : model.threads,
            new TrainingProgress(System.err)));
    printSummary(r);
    System.out.printf(Locale.ROOT, "%nSaved %s (a CrossEncoder folder: config.json, model.safetensors, onnx/model.onnx); log %s; plot %s%n",
        output, r.log().file().getFileName(), r.plot().getFileName());
    System.out.printf(Locale.ROOT, "Rerank with  quarry search --rerank %s ...  or  quarry eval --rerank %s -d DATASET%n", output, output);
    System.err.printf(Locale.ROOT, "quarry: trained %d steps in %.1f s (mean step %.2f s)%n", r.steps(), (System.nanoTime() - start) / 1e9,
        r.log().steps().stream().mapToDouble(TrainingLog.StepRecord::seconds).average().orElse(Double.NaN));
    return 0;
  }

  private List<RerankExample> rows(DatasetOptions ds) {
    if (pairsFile != null) {
      return LabelledPairs.read(pairsFile);
    }
    Path dir = ds.folder();
    BeirDataset train = BeirDataset.load(dir, trainSplit, false);
    return (trainFile != null ? TrainingData.read(trainFile, train) : TrainingData.fromBeir(train)).stream()
        .map(RerankExample::ofTuple).toList();
  }

  /** The evaluation split's queries, their first-stage candidates (retrieved once, now) and the corpus texts. */
  private RerankingEvaluation evaluation(DatasetOptions ds) {
    BeirDataset data = BeirDataset.load(ds.folder(), evalSplit, false);
    SearchMode mode = SearchMode.fromId(firstStage);
    ModelOptions fs = new ModelOptions();
    fs.model = firstStageModel;
    fs.threads = model.threads;
    InformationRetrievalEvaluator evaluator = new InformationRetrievalEvaluator(data.queries().byId(), data.qrels(), IrMetrics.defaults(),
        data.dir().getFileName() + "-" + evalSplit + "-rerank");
    Map<String, List<Hit>> candidates = new LinkedHashMap<>();
    try (SentenceTransformer m = fs.load(); PassageIndex idx = IndexAccess.open(m, data.dir(), new IndexOptions())) {
      List<String> ids = evaluator.queryIds();
      List<List<Hit>> hits = Searcher.of(m, idx.retriever(mode)).rank(ids.stream().map(data.queries().byId()::get).toList(), evalDepth);
      for (int i = 0; i < ids.size(); i++) {
        candidates.put(ids.get(i), hits.get(i));
      }
    }
    return new RerankingEvaluation(evaluator, candidates, id -> {
      int i = data.corpus().indexOf(id);
      return i < 0 ? null : data.corpus().get(i).fullText();
    }, evalDepth);
  }

  private static void printSummary(CrossEncoderFineTuning.Result r) {
    if (r.best() == null) {
      return;
    }
    System.out.printf(Locale.ROOT, "%n%-14s %12s %12s %12s%n", "metric", "first stage", "base", "best (" + r.best().step() + ")");
    for (Map.Entry<String, Double> e : r.best().metrics().entrySet()) {
      if (e.getKey().startsWith("ndcg_graded")) {
        continue;
      }
      double f = r.firstStage() == null ? Double.NaN : r.firstStage().getOrDefault(e.getKey(), Double.NaN);
      double b = r.base() == null ? Double.NaN : r.base().metrics().getOrDefault(e.getKey(), Double.NaN);
      System.out.printf(Locale.ROOT, "%-14s %12.4f %12.4f %12.4f%n", e.getKey(), f, b, e.getValue());
    }
  }
}
