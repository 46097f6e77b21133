package dev.quarry.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDManager;
import dev.quarry.data.BeirDataset;
import dev.quarry.inference.BertWeights;
import dev.quarry.train.examples.TrainingData;
import dev.quarry.train.examples.TrainingExample;
import dev.quarry.train.network.TrainableSentenceTransformer;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two seeded runs take bit-identical steps: the same loss at every step and the same final weights,
 * with dropout on and while another thread keeps the garbage collector busy (which is what made the
 * runs of issue 8 diverge: memory that libtorch still read was freed at GC time).
 */
@Tag("slow") // real models at size, servers, fine-tunes: left out of the fast tier (-Pfast)
class RepeatabilityTest {
  @Test
  void seededRunsAgreeExactlyUnderGcPressure(@TempDir Path dir) throws Exception {
    List<TrainingExample> rows = TrainingData.fromBeir(BeirDataset.load(FineTuneTest.AI_QA, "train", false));
    TrainingArguments args = TrainingArguments.builder().batchSize(16).maxSteps(6).warmupSteps(2).learningRate(5e-5)
        .evalSteps(0).evalBeforeTraining(false).checkpointSteps(-1).seed(7).build();
    Trainer.Result first = run(rows, args, dir.resolve("a"));
    Trainer.Result second = run(rows, args, dir.resolve("b"));
    double[] l1 = first.log().steps().stream().mapToDouble(TrainingLog.StepRecord::loss).toArray();
    double[] l2 = second.log().steps().stream().mapToDouble(TrainingLog.StepRecord::loss).toArray();
    System.out.println("per-step losses: " + java.util.Arrays.toString(l1));
    assertEquals(6, l1.length);
    assertArrayEquals(l1, l2, 0.0, "per-step losses of two seeded runs differ");
    BertWeights w1 = first.finalWeights();
    BertWeights w2 = second.finalWeights();
    for (String name : w1.tensors().keySet()) {
      assertArrayEquals(w1.get(name).data(), w2.get(name).data(), 0f, name + " differs after 6 seeded steps");
    }
  }

  private static Trainer.Result run(List<TrainingExample> rows, TrainingArguments args, Path work) throws Exception {
    AtomicBoolean done = new AtomicBoolean();
    Thread gcStorm = new Thread(() -> {
      while (!done.get()) {
        System.gc();
        try {
          Thread.sleep(40);
        } catch (InterruptedException e) {
          return;
        }
      }
    }, "gc-storm");
    gcStorm.setDaemon(true);
    gcStorm.start();
    try (NDManager m = NDManager.newBaseManager("PyTorch");
        TrainableSentenceTransformer model = TrainableSentenceTransformer.load(TestModels.folder(TestModels.MINILM), m)) {
      return new Trainer(model, rows, args, null, work, null).train(Trainer.Start.FRESH);
    } finally {
      done.set(true);
      gcStorm.join();
    }
  }
}
