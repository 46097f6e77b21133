package dev.quarry.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import dev.quarry.data.BeirDataset;
import dev.quarry.encode.EncodeOptions;
import dev.quarry.encode.RuntimeOptions;
import dev.quarry.encode.SentenceTransformer;
import dev.quarry.model.ModelFolder;
import dev.quarry.train.examples.TrainingData;
import dev.quarry.train.examples.TrainingExample;
import dev.quarry.train.export.SentenceTransformerWriter;
import dev.quarry.train.network.TrainableSentenceTransformer;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A short real fine-tune of all-MiniLM-L6-v2 on the bundled AI question/passage set. */
@Tag("slow") // real models at size, servers, fine-tunes: left out of the fast tier (-Pfast)
class FineTuneTest {
  static final Path AI_QA = Path.of("..", "datasets", "ai-qa");

  @Test
  void lossFallsAndTheSavedModelServesThroughOnnxRuntime(@TempDir Path dir) throws Exception {
    BeirDataset train = BeirDataset.load(AI_QA, "train", false);
    List<TrainingExample> rows = TrainingData.fromBeir(train);
    TrainingArguments args = TrainingArguments.builder().epochs(3).maxSteps(24).learningRate(5e-5)
        .evalSteps(0).evalBeforeTraining(false).checkpointSteps(0).checkpointsKept(1).build();
    ModelFolder base = TestModels.folder(TestModels.MINILM);
    Path out = dir.resolve("model");
    try (NDManager m = NDManager.newBaseManager("PyTorch");
        TrainableSentenceTransformer model = TrainableSentenceTransformer.load(base, m)) {
      Trainer.Result result = new Trainer(model, rows, args, null, dir, null).train(Trainer.Start.FRESH);
      List<TrainingLog.StepRecord> steps = result.log().steps();
      assertEquals(24, steps.size());
      double first = steps.subList(0, 6).stream().mapToDouble(TrainingLog.StepRecord::loss).average().orElseThrow();
      double last = steps.subList(18, 24).stream().mapToDouble(TrainingLog.StepRecord::loss).average().orElseThrow();
      System.out.printf("mean loss, steps 1-6: %.4f; steps 19-24: %.4f; mean step %.2f s%n", first, last,
          steps.stream().mapToDouble(TrainingLog.StepRecord::seconds).average().orElseThrow());
      assertTrue(last < first * 0.8, "loss did not fall: " + first + " -> " + last);

      SentenceTransformerWriter.write(out, base, model.config(), result.finalWeights(), "# test\n");
      List<String> texts = BertEncoderParityTest.texts();
      float[][] trained = model.encode(texts, 4, null);
      try (SentenceTransformer served = SentenceTransformer.load(ModelFolder.read(out, "fine-tuned"), RuntimeOptions.defaults())) {
        float[][] onnx = served.encode(texts, EncodeOptions.defaults()).floats();
        float diff = TestModels.maxAbsDiff(trained, onnx);
        System.out.printf("saved model: max |PyTorch - ONNX Runtime| = %.3g%n", diff);
        assertTrue(diff <= 1e-4, "max abs diff " + diff);
        // The same folder as save_pretrained leaves it, without onnx/: its safetensors are exported on first use.
        Path safetensorsOnly = dir.resolve("safetensors-only");
        copyTree(out, safetensorsOnly);
        dev.quarry.FileTrees.delete(safetensorsOnly.resolve("onnx"));
        ModelFolder exported = ModelFolder.read(safetensorsOnly, "fine-tuned", dir.resolve("cache"));
        assertTrue(exported.onnxFile().startsWith(dir.resolve("cache")), exported.onnxFile().toString());
        try (SentenceTransformer fromSafetensors = SentenceTransformer.load(exported, RuntimeOptions.defaults())) {
          float exportDiff = TestModels.maxAbsDiff(onnx, fromSafetensors.encode(texts, EncodeOptions.defaults()).floats());
          System.out.printf("safetensors-only folder: max |exported - saved ONNX| = %.3g%n", exportDiff);
          assertTrue(exportDiff <= 1e-5, "max abs diff " + exportDiff);
        }
      }
    }
  }

  @Test
  void hardNegativeColumnsTrain(@TempDir Path dir) throws Exception {
    BeirDataset train = BeirDataset.load(AI_QA, "train", false);
    List<TrainingExample> pairs = TrainingData.fromBeir(train).subList(0, 16);
    // Each row's hard negative: the next row's passage (a plausible but wrong answer).
    List<TrainingExample> triplets = new java.util.ArrayList<>();
    // Each row's "negative" is its own positive: if the column reaches the loss, every anchor sees
    // its answer twice and the first loss is about log 2, whatever the model; if it is dropped, the
    // loss is that of the plain pairs.
    List<TrainingExample> selfNegatives = new java.util.ArrayList<>();
    for (int i = 0; i < pairs.size(); i++) {
      TrainingExample r = pairs.get(i);
      triplets.add(new TrainingExample(r.anchor(), r.positive(), List.of(pairs.get((i + 7) % pairs.size()).positive()), r.source()));
      selfNegatives.add(new TrainingExample(r.anchor(), r.positive(), List.of(r.positive()), r.source()));
    }
    TrainingArguments args = TrainingArguments.builder().batchSize(4).maxSteps(2).evalSteps(0).evalBeforeTraining(false)
        .checkpointSteps(-1).build();
    try (NDManager m = NDManager.newBaseManager("PyTorch");
        TrainableSentenceTransformer model = TrainableSentenceTransformer.load(TestModels.folder(TestModels.MINILM), m)) {
      Trainer.Result r = new Trainer(model, triplets, args, null, dir.resolve("triplets"), null).train(Trainer.Start.FRESH);
      assertEquals(2, r.steps());
      // With a negative column each anchor scores 2 * batch candidates: the loss starts near log(2B) at worst.
      r.log().steps().forEach(s -> assertTrue(Double.isFinite(s.loss()) && s.loss() < Math.log(8), "loss " + s.loss()));

      // One step at learning rate 0 (the first warm-up step): both runs score the same weights.
      TrainingArguments probe = TrainingArguments.builder().batchSize(4).maxSteps(1).warmupSteps(1).evalSteps(0)
          .evalBeforeTraining(false).checkpointSteps(-1).build();
      double plain = new Trainer(model, pairs, probe, null, dir.resolve("pairs"), null).train(Trainer.Start.FRESH)
          .log().steps().get(0).loss();
      double doubled = new Trainer(model, selfNegatives, probe, null, dir.resolve("self"), null).train(Trainer.Start.FRESH)
          .log().steps().get(0).loss();
      System.out.printf("first-step loss: pairs %.4f, positive repeated as negative %.4f (log 2 = 0.6931)%n", plain, doubled);
      assertTrue(doubled > plain + 0.3 && doubled > 0.45, "the negative column did not reach the loss: " + plain + " vs " + doubled);
    }
  }

  private static void copyTree(Path from, Path to) throws java.io.IOException {
    try (var files = java.nio.file.Files.walk(from)) {
      for (Path p : files.toList()) {
        java.nio.file.Files.copy(p, to.resolve(from.relativize(p).toString()));
      }
    }
  }
}
