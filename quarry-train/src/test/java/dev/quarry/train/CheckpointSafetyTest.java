package dev.quarry.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import dev.quarry.QuarryException;
import dev.quarry.data.BeirDataset;
import dev.quarry.io.Tensor;
import dev.quarry.train.examples.TrainingData;
import dev.quarry.train.examples.TrainingExample;
import dev.quarry.train.network.TrainableSentenceTransformer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A training folder never loses work silently: earlier runs, resumptions, divergence, interrupted writes. */
@Tag("slow") // real models at size, servers, fine-tunes: left out of the fast tier (-Pfast)
class CheckpointSafetyTest {
  private static List<TrainingExample> rows() {
    return TrainingData.fromBeir(BeirDataset.load(FineTuneTest.AI_QA, "train", false)).subList(0, 16);
  }

  private static TrainingArguments.Builder small() {
    return TrainingArguments.builder().batchSize(4).maxSteps(2).warmupSteps(1).evalSteps(0).evalBeforeTraining(false)
        .checkpointSteps(1).checkpointsKept(3);
  }

  @Test
  void anEarlierRunIsNeitherDeletedNorResumedWithOtherSettings(@TempDir Path dir) throws Exception {
    List<TrainingExample> rows = rows();
    try (NDManager m = NDManager.newBaseManager("PyTorch");
        TrainableSentenceTransformer model = TrainableSentenceTransformer.load(TestModels.folder(TestModels.MINILM), m)) {
      new Trainer(model, rows, small().build(), null, dir, null).train(Trainer.Start.FRESH);
      assertTrue(Files.isDirectory(dir.resolve("checkpoints/checkpoint-2")));

      QuarryException fresh = assertThrows(QuarryException.class,
          () -> new Trainer(model, rows, small().build(), null, dir, null).train(Trainer.Start.FRESH));
      assertTrue(fresh.getMessage().contains("--resume") && fresh.getMessage().contains("--overwrite"), fresh.getMessage());
      assertTrue(Files.isDirectory(dir.resolve("checkpoints/checkpoint-2")), "a refused run must not delete checkpoints");

      QuarryException other = assertThrows(QuarryException.class,
          () -> new Trainer(model, rows, small().maxSteps(4).learningRate(1e-4).build(), null, dir, null).train(Trainer.Start.RESUME));
      assertTrue(other.getMessage().contains("learningRate 2.0E-5 -> 1.0E-4") && other.getMessage().contains("maxSteps"), other.getMessage());
      QuarryException data = assertThrows(QuarryException.class,
          () -> new Trainer(model, rows.subList(0, 12), small().build(), null, dir, null).train(Trainer.Start.RESUME));
      assertTrue(data.getMessage().contains("training data"), data.getMessage());

      // What may change: how often checkpoints are written and kept.
      Trainer.Result resumed = new Trainer(model, rows, small().checkpointsKept(1).build(), null, dir, null).train(Trainer.Start.RESUME);
      assertEquals(2, resumed.steps());
      Trainer.Result over = new Trainer(model, rows, small().maxSteps(1).build(), null, dir, null).train(Trainer.Start.OVERWRITE);
      assertEquals(1, over.steps());
      assertTrue(Files.notExists(dir.resolve("checkpoints/checkpoint-2")), "--overwrite starts over");
    }
  }

  @Test
  void aDivergenceStopsBeforeTheUpdateWithTheLastCheckpointIntact(@TempDir Path dir) throws Exception {
    // A learning rate of 1e30 with no warm-up blows the weights up in one step: the next loss is not finite.
    TrainingArguments args = small().maxSteps(3).warmupSteps(0).learningRate(1e30).build();
    try (NDManager m = NDManager.newBaseManager("PyTorch");
        TrainableSentenceTransformer model = TrainableSentenceTransformer.load(TestModels.folder(TestModels.MINILM), m)) {
      QuarryException e = assertThrows(QuarryException.class, () -> new Trainer(model, rows(), args, null, dir, null).train(Trainer.Start.FRESH));
      assertTrue(e.getMessage().startsWith("Training diverged at step 2"), e.getMessage());
      assertTrue(e.getMessage().contains("the last checkpoint (step 1) is intact"), e.getMessage());
    }
    Checkpoints.Saved last = new Checkpoints(dir.resolve("checkpoints")).latest();
    assertEquals(1, last.step());
    assertEquals(1, last.state().path("history").path("steps").size(), "the diverged step is not in the checkpoint's history");
  }

  @Test
  void aKillDuringTheReplacementOfBestLosesNeitherVersion(@TempDir Path dir) throws Exception {
    Checkpoints cp = new Checkpoints(dir);
    Map<String, Tensor> w1 = Map.of("w", new Tensor(new long[] {2}, new float[] {1, 1}));
    Map<String, Tensor> w2 = Map.of("w", new Tensor(new long[] {2}, new float[] {2, 2}));
    // Killed after moving the old "best" aside, before renaming the new one into place.
    cp.write("best", w1, null, Map.of("step", 1));
    Files.move(dir.resolve("best"), dir.resolve("best.old-77"));
    cp.write("staged", w2, null, Map.of("step", 2));
    Files.move(dir.resolve("staged"), dir.resolve("best.tmp-77"));
    Checkpoints.Saved best = cp.named("best");
    assertEquals(2, best.step(), "the new, complete version is promoted");
    assertTrue(Files.notExists(dir.resolve("best.old-77")) && Files.notExists(dir.resolve("best.tmp-77")));

    // Killed earlier: the new version's folder is gone or incomplete, so the old one comes back.
    Files.move(dir.resolve("best"), dir.resolve("best.old-78"));
    Files.createDirectories(dir.resolve("best.tmp-78"));
    Files.writeString(dir.resolve("best.tmp-78/model.safetensors"), "partial");
    assertEquals(2, cp.named("best").step());
    assertEquals(2f, cp.named("best").weights().get("w").data()[0]);
  }
}
