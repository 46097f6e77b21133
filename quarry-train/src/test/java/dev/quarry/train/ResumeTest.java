package dev.quarry.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import dev.quarry.data.BeirDataset;
import dev.quarry.inference.BertWeights;
import dev.quarry.train.examples.TrainingData;
import dev.quarry.train.examples.TrainingExample;
import dev.quarry.train.network.TrainableSentenceTransformer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A run killed after its step-2 checkpoint (mid-way through step 3, and with a half-written
 * checkpoint folder left behind) and resumed ends with the same weights and loss curve as a run
 * that was never interrupted.
 */
@Tag("slow") // real models at size, servers, fine-tunes: left out of the fast tier (-Pfast)
class ResumeTest {
  static final class Killed extends RuntimeException {
    private static final long serialVersionUID = 1L;
  }

  @Test
  void resumedRunEqualsUninterruptedRun(@TempDir Path dir) throws Exception {
    List<TrainingExample> rows = TrainingData.fromBeir(BeirDataset.load(FineTuneTest.AI_QA, "train", false)).subList(0, 40);
    TrainingArguments args = TrainingArguments.builder().batchSize(8).maxSteps(4).warmupSteps(1).learningRate(1e-4)
        .evalSteps(0).evalBeforeTraining(false).checkpointSteps(2).checkpointsKept(2).build();
    try (NDManager m = NDManager.newBaseManager("PyTorch")) {
      Trainer.Result straight;
      try (TrainableSentenceTransformer model = TrainableSentenceTransformer.load(TestModels.folder(TestModels.MINILM), m)) {
        straight = new Trainer(model, rows, args, null, dir.resolve("straight"), null).train(Trainer.Start.FRESH);
      }

      Path work = dir.resolve("killed");
      try (TrainableSentenceTransformer model = TrainableSentenceTransformer.load(TestModels.folder(TestModels.MINILM), m)) {
        TrainingListener killAfterStep2 = new TrainingListener() {
          @Override
          public void onStep(TrainingLog.StepRecord s) {
            if (s.step() == 3) {
              throw new Killed();
            }
          }
        };
        assertThrows(Killed.class, () -> new Trainer(model, rows, args, null, work, killAfterStep2).train(Trainer.Start.FRESH));
      }
      // What a kill during a checkpoint write leaves: a temporary folder without the final rename.
      Files.createDirectories(work.resolve("checkpoints/checkpoint-4.tmp-999"));
      Files.writeString(work.resolve("checkpoints/checkpoint-4.tmp-999/model.safetensors"), "partial");
      assertTrue(Files.isDirectory(work.resolve("checkpoints/checkpoint-2")));

      Trainer.Result resumed;
      List<Integer> startedAt = new java.util.ArrayList<>();
      try (TrainableSentenceTransformer model = TrainableSentenceTransformer.load(TestModels.folder(TestModels.MINILM), m)) {
        TrainingListener l = new TrainingListener() {
          @Override
          public void onStart(int total, int first) {
            startedAt.add(first);
          }
        };
        resumed = new Trainer(model, rows, args, null, work, l).train(Trainer.Start.RESUME);
      }
      assertEquals(List.of(2), startedAt);
      assertEquals(4, resumed.steps());
      assertEquals(straight.log().steps().size(), resumed.log().steps().size());
      for (int i = 0; i < 4; i++) {
        assertEquals(straight.log().steps().get(i).loss(), resumed.log().steps().get(i).loss(), 1e-5, "loss at step " + (i + 1));
      }
      float diff = maxDiff(straight.finalWeights(), resumed.finalWeights());
      System.out.printf("resumed vs uninterrupted: max |weight difference| = %.3g%n", diff);
      assertTrue(diff < 1e-5, "weights differ by " + diff);
      assertTrue(Files.notExists(work.resolve("checkpoints/checkpoint-4.tmp-999")), "temporary folder not cleaned");
      assertEquals(4, Files.readAllLines(work.resolve("training_log.jsonl")).size());
    }
  }

  static float maxDiff(BertWeights a, BertWeights b) {
    float max = 0;
    for (String name : a.tensors().keySet()) {
      float[] x = a.get(name).data();
      float[] y = b.get(name).data();
      for (int i = 0; i < x.length; i++) {
        max = Math.max(max, Math.abs(x[i] - y[i]));
      }
    }
    return max;
  }
}
