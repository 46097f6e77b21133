package dev.quarry.train.loss;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.GradientCollector;
import dev.quarry.data.BeirDataset;
import dev.quarry.similarity.SimilarityFunction;
import dev.quarry.train.TestModels;
import dev.quarry.train.examples.TrainingData;
import dev.quarry.train.examples.TrainingExample;
import dev.quarry.train.network.TrainableSentenceTransformer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * GradCache gives the gradients of plain MNRL on the same batch: on all-MiniLM-L6-v2, with real
 * question/passage triplets, a mini-batch that does not divide the batch, every parameter compared.
 */
@Tag("slow")
class CachedMultipleNegativesRankingLossTest {
  static final Path AI_QA = Path.of("..", "datasets", "ai-qa");
  static final int MINI_BATCH = 5;

  static NDManager manager;
  static TrainableSentenceTransformer model;
  static List<String> anchors = new ArrayList<>();
  static List<String> candidates = new ArrayList<>();

  @BeforeAll
  static void load() {
    manager = NDManager.newBaseManager("PyTorch");
    model = TrainableSentenceTransformer.load(TestModels.folder(TestModels.MINILM), manager);
    model.encoder().setRequiresGradient(true);
    List<TrainingExample> rows = TrainingData.fromBeir(BeirDataset.load(AI_QA, "train", false)).subList(0, 12);
    List<String> negatives = new ArrayList<>();
    for (int i = 0; i < rows.size(); i++) {
      anchors.add(rows.get(i).anchor());
      candidates.add(rows.get(i).positive());
      negatives.add(rows.get((i + 5) % rows.size()).positive() + " (see also section " + i + ")");
    }
    candidates.addAll(negatives); // 12 anchors, 24 candidates: the hard-negative column of MNRL
  }

  @AfterAll
  static void close() {
    model.encoder().setRequiresGradient(false);
    model.close();
    manager.close();
  }

  /**
   * MNRL: every gradient within 1e-5. MatryoshkaLoss sums three MNRLs (weights 1, 0.5, 2) into a
   * gradient norm near 73 instead of 11; float32 sums of its larger per-token terms in another order
   * differ by up to about 1.2e-5, so there the bound is 1e-6 of the gradient norm.
   */
  @Test
  void gradientsEqualPlainMnrlWithoutDropout() {
    for (EmbeddingLoss loss : List.of(new MultipleNegativesRankingLoss(20, SimilarityFunction.DOT),
        new MatryoshkaLoss(new MultipleNegativesRankingLoss(20, SimilarityFunction.COSINE), List.of(384, 128, 64), List.of(1.0, 0.5, 2.0), 384))) {
      Map<String, float[]> plain = new LinkedHashMap<>();
      double plainLoss = plain(loss, plain, false, 0);
      Map<String, float[]> cached = new LinkedHashMap<>();
      double cachedLoss = new CachedMultipleNegativesRankingLoss(loss, MINI_BATCH).forwardBackward(model::embed, anchors, candidates, 7, false);
      takeGradients(cached);
      compare(loss.getClass().getSimpleName() + " without dropout", plainLoss, plain, cachedLoss, cached,
          loss instanceof MatryoshkaLoss ? 1e-6 : 0);
    }
  }

  /**
   * With dropout on, the reference is plain autograd through the embeddings of the same mini-batches
   * under the same seeds, concatenated into one graph: the cached run must replay those masks.
   */
  @Test
  void dropoutMasksAreReplayedInTheSecondPass() {
    EmbeddingLoss loss = new MultipleNegativesRankingLoss(20, SimilarityFunction.DOT);
    Map<String, float[]> reference = new LinkedHashMap<>();
    double referenceLoss = plain(loss, reference, true, 11);
    Map<String, float[]> cached = new LinkedHashMap<>();
    double cachedLoss = new CachedMultipleNegativesRankingLoss(loss, MINI_BATCH).forwardBackward(model::embed, anchors, candidates, 11, true);
    takeGradients(cached);
    compare("dropout", referenceLoss, reference, cachedLoss, cached, 0);
    // The masks mattered: without dropout the loss is another number (so this test can fail).
    double noDropout = plain(loss, new LinkedHashMap<>(), false, 0);
    assertTrue(Math.abs(noDropout - referenceLoss) > 1e-4, "dropout changed nothing: " + noDropout + " vs " + referenceLoss);
  }

  /** The whole batch in one graph: one pass, or (with dropout) the mini-batches under their seeds. */
  private static double plain(EmbeddingLoss loss, Map<String, float[]> gradients, boolean training, long seed) {
    double value;
    try (NDManager sm = NDManager.newBaseManager("PyTorch");
        GradientCollector collector = Engine.getEngine("PyTorch").newGradientCollector()) {
      NDArray a = training ? chunked(sm, anchors, seed, 0) : model.embed(sm, anchors, false);
      NDArray c = training ? chunked(sm, candidates, seed, 1) : model.embed(sm, candidates, false);
      NDArray l = loss.compute(a, c);
      collector.backward(l);
      value = l.getFloat();
    }
    takeGradients(gradients);
    return value;
  }

  private static NDArray chunked(NDManager sm, List<String> texts, long seed, int group) {
    NDList parts = new NDList();
    for (int start = 0, j = 0; start < texts.size(); start += MINI_BATCH, j++) {
      JniUtils.setSeed(CachedMultipleNegativesRankingLoss.miniBatchSeed(seed, group, j));
      parts.add(model.embed(sm, texts.subList(start, Math.min(texts.size(), start + MINI_BATCH)), true));
    }
    return NDArrays.concat(parts, 0);
  }

  /** Copies every parameter's gradient out and zeroes it for the next run. */
  private static void takeGradients(Map<String, float[]> out) {
    for (Map.Entry<String, NDArray> p : model.encoder().parameters().entrySet()) {
      try (NDArray g = p.getValue().getGradient()) {
        out.put(p.getKey(), g.toFloatArray());
        g.muli(0f);
      }
    }
  }

  private static void compare(String what, double expectedLoss, Map<String, float[]> expected, double actualLoss,
      Map<String, float[]> actual, double perGradientNorm) {
    assertEquals(expectedLoss, actualLoss, 1e-5, what + ": loss");
    double maxDiff = 0;
    double sumSquares = 0;
    String worst = null;
    for (Map.Entry<String, float[]> e : expected.entrySet()) {
      float[] a = actual.get(e.getKey());
      for (int i = 0; i < a.length; i++) {
        double d = Math.abs(a[i] - e.getValue()[i]);
        sumSquares += (double) e.getValue()[i] * e.getValue()[i];
        if (d > maxDiff) {
          maxDiff = d;
          worst = e.getKey() + "[" + i + "] (" + e.getValue()[i] + ")";
        }
      }
    }
    double bound = Math.max(1e-5, perGradientNorm * Math.sqrt(sumSquares));
    System.out.printf("%s: loss %.6f vs %.6f; %d parameters, gradient norm %.4f, max |difference| %.3g at %s (bound %.3g)%n",
        what, expectedLoss, actualLoss, expected.size(), Math.sqrt(sumSquares), maxDiff, worst, bound);
    assertEquals(expected.size(), model.encoder().parameters().size());
    assertTrue(Math.sqrt(sumSquares) > 0.05, what + ": the gradients are (almost) zero, nothing was compared");
    assertTrue(maxDiff <= bound, what + ": gradients differ by " + maxDiff + " at " + worst);
  }
}
