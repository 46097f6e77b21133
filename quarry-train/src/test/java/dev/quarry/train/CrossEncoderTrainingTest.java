package dev.quarry.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import dev.quarry.QuarryException;
import dev.quarry.data.BeirDataset;
import dev.quarry.data.Document;
import dev.quarry.encode.RuntimeOptions;
import dev.quarry.eval.InformationRetrievalEvaluator;
import dev.quarry.eval.IrMetrics;
import dev.quarry.io.Tensor;
import dev.quarry.model.CrossEncoderFolder;
import dev.quarry.modules.Dense;
import dev.quarry.rerank.CrossEncoder;
import dev.quarry.rerank.TextPair;
import dev.quarry.search.Hit;
import dev.quarry.train.examples.RerankExample;
import dev.quarry.train.examples.TrainingData;
import dev.quarry.train.export.CrossEncoderWriter;
import dev.quarry.train.loss.BinaryCrossEntropyLoss;
import dev.quarry.train.loss.CrossEncoderLoss;
import dev.quarry.train.loss.CrossEncoderMultipleNegativesRankingLoss;
import dev.quarry.train.loss.ListNetLoss;
import dev.quarry.train.network.TrainableCrossEncoder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Function;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Cross-encoder training on a real encoder (all-MiniLM-L6-v2) and the bundled AI question set:
 * the trainable network agrees with the exported graph that {@code quarry rerank} runs, a short
 * run learns to rank (reranking evaluation before and after), the saved classic folder scores as
 * the trained weights do, and a killed run resumes to the same weights.
 */
@Tag("slow") // real models, fine-tunes: left out of the fast tier (-Pfast)
class CrossEncoderTrainingTest {
  static final Path AI_QA = FineTuneTest.AI_QA;
  static final List<TextPair> PAIRS = List.of(
      new TextPair("What is supervised learning?", "In supervised learning a model is fitted to labelled examples."),
      new TextPair("What is supervised learning?", "Paris is the capital of France."),
      new TextPair("How do transformers attend?", "Self-attention lets every token look at every other token in the sequence, "
          + "weighting them by the similarity of queries and keys. " + dev.quarry.TestModels.LONG_TEXT),
      new TextPair("short", "x"),
      new TextPair("Ünïcödé façade?", "日本語のテキスト and emoji 🚀 mixed in"),
      new TextPair("", "an empty query"));

  /** (query, positive, three random other documents) for each train judgement, seeded. */
  static List<RerankExample> rows(BeirDataset train, int negatives, long seed) {
    List<RerankExample> out = new ArrayList<>();
    Random rnd = new Random(seed);
    List<Document> docs = train.corpus().documents();
    for (var row : TrainingData.fromBeir(train)) {
      List<String> texts = new ArrayList<>(List.of(row.positive()));
      List<Double> labels = new ArrayList<>(List.of(1.0));
      while (texts.size() < negatives + 1) {
        String t = docs.get(rnd.nextInt(docs.size())).fullText();
        if (!texts.contains(t)) {
          texts.add(t);
          labels.add(0.0);
        }
      }
      out.add(new RerankExample(row.anchor(), texts, labels, row.source()));
    }
    return out;
  }

  /** Each test query's relevant documents among random others, in a shuffled "first stage" order. */
  static RerankingEvaluation evaluation(BeirDataset test, int depth) {
    InformationRetrievalEvaluator evaluator = new InformationRetrievalEvaluator(test.queries().byId(), test.qrels(), IrMetrics.defaults(),
        "ai-qa-test-rerank");
    Random rnd = new Random(11);
    Map<String, List<Hit>> candidates = new LinkedHashMap<>();
    List<Document> docs = test.corpus().documents();
    for (String q : evaluator.queryIds()) {
      List<String> ids = new ArrayList<>(test.qrels().relevant(q));
      while (ids.size() < depth) {
        String id = docs.get(rnd.nextInt(docs.size())).id();
        if (!ids.contains(id)) {
          ids.add(id);
        }
      }
      Collections.shuffle(ids, rnd);
      List<Hit> hits = new ArrayList<>();
      for (int i = 0; i < ids.size(); i++) {
        hits.add(new Hit(ids.get(i), depth - i));
      }
      candidates.put(q, hits);
    }
    Function<String, String> textOf = id -> {
      int i = test.corpus().indexOf(id);
      return i < 0 ? null : test.corpus().get(i).fullText();
    };
    return new RerankingEvaluation(evaluator, candidates, textOf, depth);
  }

  @Test
  void trainableNetworkAgreesWithTheExportedGraphForBothStartingPoints(@TempDir Path dir) throws Exception {
    try (NDManager m = NDManager.newBaseManager("PyTorch")) {
      // A cross-encoder saved by transformers' conventions (classic, safetensors only): libtorch vs ONNX Runtime.
      CrossEncoderFolder classic = CrossEncoderFolder.read(dev.quarry.TestModels.crossEncoder(dir.resolve("classic"), 1, null), "classic",
          dir.resolve("cache"));
      try (TrainableCrossEncoder t = TrainableCrossEncoder.fromCrossEncoder(classic, 0, m);
          CrossEncoder ort = CrossEncoder.load(classic, RuntimeOptions.defaults())) {
        float[][] torch = t.predictLogits(PAIRS, 4);
        float[][] onnx = ort.logits(PAIRS, 4);
        assertTrue(TestModels.maxAbsDiff(torch, onnx) < 1e-4, "libtorch vs ONNX Runtime logits differ by " + TestModels.maxAbsDiff(torch, onnx));
      }
      // A new head on MiniLM's encoder, saved by CrossEncoderWriter: the folder predicts sigmoid(logit).
      try (TrainableCrossEncoder t = TrainableCrossEncoder.fromEncoder(TestModels.folder(TestModels.MINILM), 1, 128, 42, m)) {
        Path out = dir.resolve("written");
        CrossEncoderWriter.write(out, t.config(), t.encoder().snapshot(),
            new CrossEncoderWriter.Head(1, CrossEncoderFineTuning.ACTIVATION, 128, t.tokenizerFile()), null);
        CrossEncoderFolder folder = CrossEncoderFolder.read(out, "written", dir.resolve("cache"));
        assertEquals("classic", folder.dialect());
        assertEquals(128, folder.maxLength());
        assertEquals(Dense.Activation.SIGMOID, folder.activation());
        float[][] logits = t.predictLogits(PAIRS, 3);
        try (CrossEncoder ce = CrossEncoder.load(folder, RuntimeOptions.defaults())) {
          float[] p = ce.predict(PAIRS);
          for (int i = 0; i < PAIRS.size(); i++) {
            assertEquals(1 / (1 + Math.exp(-logits[i][0])), p[i], 1e-5, "pair " + i);
          }
        }
        // MiniLM's ONNX export has no pooler: it starts as the identity (tanh of the first token
        // reaches the classifier), not as a second layer drawn at 0.02; the classifier is drawn.
        Map<String, Tensor> head = t.encoder().snapshot().tensors();
        float[] pooler = head.get("pooler.dense.weight").data();
        int hidden = (int) head.get("pooler.dense.weight").shape()[0];
        for (int i = 0; i < hidden; i++) {
          for (int j = 0; j < hidden; j++) {
            assertEquals(i == j ? 1f : 0f, pooler[i * hidden + j], "pooler.dense.weight[" + i + "][" + j + "]");
          }
        }
        float largest = 0;
        for (float w : head.get("classifier.weight").data()) {
          largest = Math.max(largest, Math.abs(w));
        }
        assertTrue(largest > 0.01 && largest < 0.2, "classifier drawn at 0.02, largest |w| " + largest);
        // The same seed draws the same head; another seed another one.
        try (TrainableCrossEncoder again = TrainableCrossEncoder.fromEncoder(TestModels.folder(TestModels.MINILM), 1, 128, 42, m);
            TrainableCrossEncoder other = TrainableCrossEncoder.fromEncoder(TestModels.folder(TestModels.MINILM), 1, 128, 43, m)) {
          assertEquals(0f, TestModels.maxAbsDiff(logits, again.predictLogits(PAIRS, 3)));
          assertTrue(TestModels.maxAbsDiff(logits, other.predictLogits(PAIRS, 3)) > 1e-3);
        }
      }
    }
  }

  @Test
  void aShortBceRunLearnsToRerankAndItsFolderScoresAsTheTrainedWeights(@TempDir Path dir) throws Exception {
    BeirDataset train = BeirDataset.load(AI_QA, "train", false);
    BeirDataset test = BeirDataset.load(AI_QA, "test", false);
    RerankingEvaluation eval = evaluation(test, 10);
    TrainingArguments args = TrainingArguments.builder().batchSize(16).epochs(2).learningRate(1e-4).biasCorrection(true).adamEps(1e-8)
        .evalSteps(0).checkpointSteps(-1).seed(7).build();
    Path out = dir.resolve("reranker");
    CrossEncoderFineTuning.Result r = CrossEncoderFineTuning.run(
        m -> TrainableCrossEncoder.fromEncoder(TestModels.folder(TestModels.MINILM), 1, 128, 7, m), rows(train, 3, 5),
        new BinaryCrossEntropyLoss(3.0), args, eval, out, FineTuning.Options.defaults());
    double before = r.base().ndcg10();
    double after = r.best().ndcg10();
    System.out.printf("reranking NDCG@10 over shuffled candidates: first stage %.4f, untrained head %.4f, trained %.4f (%d steps)%n",
        r.firstStage().get("ndcg@10"), before, after, r.steps());
    assertEquals(139 * 4, r.rows(), "BCE trains on single labelled pairs");
    assertTrue(after > before + 0.15, "training did not learn to rerank: " + before + " -> " + after);
    assertTrue(r.log().steps().get(r.log().steps().size() - 1).loss() < r.log().steps().get(0).loss());
    for (String f : List.of("config.json", "model.safetensors", "onnx/model.onnx", "tokenizer.json", "tokenizer_config.json", "README.md",
        "training_curves.png")) {
      assertTrue(Files.isRegularFile(out.resolve(f)), f);
    }
    assertTrue(Files.notExists(out.resolve("checkpoints")));
    assertTrue(Files.readString(out.resolve("README.md")).contains("BinaryCrossEntropyLoss"));
    // The saved folder, read back as a user would, reranks to the metrics of the kept weights.
    CrossEncoderFolder folder = CrossEncoderFolder.read(out, "reranker", dir.resolve("cache"));
    try (NDManager m = NDManager.newBaseManager("PyTorch");
        TrainableCrossEncoder reloaded = TrainableCrossEncoder.fromCrossEncoder(folder, 0, m)) {
      assertEquals(after, eval.evaluate(reloaded, dir.resolve("scratch")).get("ndcg@10"), 1e-9);
      try (CrossEncoder ce = CrossEncoder.load(folder, RuntimeOptions.defaults())) {
        assertTrue(TestModels.maxAbsDiff(reloaded.predictLogits(PAIRS, 8), ce.logits(PAIRS, 8)) < 1e-4);
      }
    }
  }

  @Test
  void mnrlAndListNetTakeWholeRowsAndWidenThePositivesMargin(@TempDir Path dir) {
    BeirDataset train = BeirDataset.load(AI_QA, "train", false);
    List<RerankExample> rows = rows(train, 2, 9).subList(0, 48);
    TrainingArguments args = TrainingArguments.builder().batchSize(8).epochs(2).learningRate(1e-4).biasCorrection(true)
        .evalSteps(0).evalBeforeTraining(false).checkpointSteps(-1).seed(3).build();
    for (CrossEncoderLoss loss : List.of(CrossEncoderMultipleNegativesRankingLoss.defaults(), new ListNetLoss())) {
      Path out = dir.resolve(loss.card().simpleName());
      CrossEncoderFineTuning.Result r = CrossEncoderFineTuning.run(
          m -> TrainableCrossEncoder.fromEncoder(TestModels.folder(TestModels.MINILM), 1, 96, 3, m), rows, loss, args, null, out,
          FineTuning.Options.defaults());
      assertEquals(48, r.rows(), loss.card().simpleName() + " trains on whole rows");
      assertTrue(r.steps() >= 12, "2 epochs of at least 6 batches, got " + r.steps());
      try (NDManager m = NDManager.newBaseManager("PyTorch");
          TrainableCrossEncoder before = TrainableCrossEncoder.fromEncoder(TestModels.folder(TestModels.MINILM), 1, 96, 3, m);
          TrainableCrossEncoder after = TrainableCrossEncoder.fromCrossEncoder(CrossEncoderFolder.read(out, "trained", dir.resolve("cache")), 0, m)) {
        double b = margin(before, rows);
        double a = margin(after, rows);
        System.out.printf("%s: positive minus mean negative logit %.4f -> %.4f%n", loss.card().simpleName(), b, a);
        assertTrue(a > b + 0.05, loss.card().simpleName() + " did not widen the margin: " + b + " -> " + a);
      }
    }
  }

  /** The mean over rows of the positive's logit minus the mean of its negatives'. */
  private static double margin(TrainableCrossEncoder model, List<RerankExample> rows) {
    List<TextPair> pairs = new ArrayList<>();
    rows.forEach(r -> r.documents().forEach(d -> pairs.add(new TextPair(r.query(), d))));
    float[][] logits = model.predictLogits(pairs, 16);
    double sum = 0;
    int k = 0;
    for (RerankExample r : rows) {
      double pos = logits[k][0];
      double neg = 0;
      for (int j = 1; j < r.documents().size(); j++) {
        neg += logits[k + j][0];
      }
      sum += pos - neg / (r.documents().size() - 1);
      k += r.documents().size();
    }
    return sum / rows.size();
  }

  @Test
  void aKilledRunResumesToTheSameWeights(@TempDir Path dir) {
    BeirDataset train = BeirDataset.load(AI_QA, "train", false);
    List<RerankExample> rows = rows(train, 1, 4).subList(0, 40);
    TrainingArguments args = TrainingArguments.builder().batchSize(8).maxSteps(4).warmupSteps(1).learningRate(1e-4).biasCorrection(true)
        .evalSteps(0).evalBeforeTraining(false).checkpointSteps(2).checkpointsKept(2).seed(1).build();
    CrossEncoderLoss loss = new BinaryCrossEntropyLoss(null);
    try (NDManager m = NDManager.newBaseManager("PyTorch")) {
      Trainer.Result straight;
      try (TrainableCrossEncoder t = TrainableCrossEncoder.fromEncoder(TestModels.folder(TestModels.MINILM), 1, 64, 1, m)) {
        straight = new Trainer(new CrossEncoderObjective(t, rows, args, loss, null), args, dir.resolve("straight"), null)
            .train(Trainer.Start.FRESH);
      }
      Path work = dir.resolve("killed");
      try (TrainableCrossEncoder t = TrainableCrossEncoder.fromEncoder(TestModels.folder(TestModels.MINILM), 1, 64, 1, m)) {
        TrainingListener kill = new TrainingListener() {
          @Override
          public void onStep(TrainingLog.StepRecord s) {
            if (s.step() == 3) {
              throw new ResumeTest.Killed();
            }
          }
        };
        assertThrows(ResumeTest.Killed.class, () -> new Trainer(new CrossEncoderObjective(t, rows, args, loss, null), args, work, kill)
            .train(Trainer.Start.FRESH));
      }
      Trainer.Result resumed;
      try (TrainableCrossEncoder t = TrainableCrossEncoder.fromEncoder(TestModels.folder(TestModels.MINILM), 1, 64, 1, m)) {
        resumed = new Trainer(new CrossEncoderObjective(t, rows, args, loss, null), args, work, null).train(Trainer.Start.RESUME);
      }
      assertEquals(4, resumed.steps());
      assertTrue(resumed.finalWeights().tensors().containsKey("classifier.weight"), "the head is checkpointed with the encoder");
      float diff = ResumeTest.maxDiff(straight.finalWeights(), resumed.finalWeights());
      assertTrue(diff < 1e-5, "resumed weights differ by " + diff);
      // The same folder with another loss is another run: refused, not silently continued.
      try (TrainableCrossEncoder t = TrainableCrossEncoder.fromEncoder(TestModels.folder(TestModels.MINILM), 1, 64, 1, m)) {
        QuarryException e = assertThrows(QuarryException.class, () -> new Trainer(new CrossEncoderObjective(t, rows, args,
            new BinaryCrossEntropyLoss(2.0), null), args, work, null).train(Trainer.Start.RESUME));
        assertTrue(e.getMessage().contains("loss settings"), e.getMessage());
      }
    }
  }

  @Test
  void aSeveralLabelModelIsRefusedByEveryLoss(@TempDir Path dir) {
    try (NDManager m = NDManager.newBaseManager("PyTorch");
        TrainableCrossEncoder t = TrainableCrossEncoder.fromEncoder(TestModels.folder(TestModels.MINILM), 3, 64, 1, m)) {
      QuarryException e = assertThrows(QuarryException.class, () -> new CrossEncoderObjective(t,
          List.of(new RerankExample("q", List.of("d", "e"), List.of(1.0, 0.0), "x:1")), TrainingArguments.defaults(),
          new BinaryCrossEntropyLoss(null), null));
      assertTrue(e.getMessage().contains("one label") && e.getMessage().contains("3"), e.getMessage());
    }
  }
}
