package dev.quarry.train;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import dev.quarry.train.loss.MultipleNegativesRankingLoss;
import dev.quarry.train.model.TrainableSentenceTransformer;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The regression test for the intermittent NaN losses of fine-tuning (issue 8).
 *
 * <p>The cause: DJL's PyTorch engine makes an NDArray from Java data with {@code torch::from_blob}
 * over a direct ByteBuffer, which only the Java NDArray keeps alive, and {@code close()} lets it
 * go. The embedding lookups' token ids were such arrays, closed when {@code embed} returned, while
 * autograd still held them for the backward pass (the embedding gradient is a scatter by those ids).
 * Whenever a garbage collection ran between forward and backward, the ids were read from freed,
 * reused memory: gradients landed on the wrong rows (NaN a few steps later) or out of bounds (a
 * SIGSEGV in libtorch). This test forces exactly that: collect, reuse the freed memory with other
 * token ids, then run backward, and the gradients must equal those of an undisturbed pass.
 */
@Tag("slow") // real models at size, servers, fine-tunes: left out of the fast tier (-Pfast)
class NativeMemoryLifetimeTest {
  private static final List<String> ANCHORS = List.of("What does dropout do?", "Why warm up the learning rate?",
      "What is a tokenizer?", "How does attention work?");
  private static final List<String> POSITIVES = List.of(
      "Dropout zeroes random activations during training so that units cannot co-adapt.",
      "Warm-up raises the learning rate from zero over the first steps, which stabilises early training.",
      "A tokenizer splits text into word pieces and maps them to ids from a vocabulary.",
      "Attention weighs every token by the softmax of its query's dot product with the other tokens' keys.");

  @Test
  void gradientsDoNotDependOnWhenTheJvmFreesInputMemory() throws Exception {
    try (NDManager m = NDManager.newBaseManager("PyTorch");
        TrainableSentenceTransformer model = TrainableSentenceTransformer.load(TestModels.folder(TestModels.MINILM), m)) {
      model.encoder().setRequiresGradient(true);
      Map<String, float[]> undisturbed = gradients(model, false);
      Map<String, float[]> disturbed = gradients(model, true);
      undisturbed.forEach((name, g) -> {
        for (float x : g) {
          org.junit.jupiter.api.Assertions.assertTrue(Float.isFinite(x), "undisturbed gradient of " + name + " is " + x);
        }
      });
      float worst = 0;
      for (Map.Entry<String, float[]> e : undisturbed.entrySet()) {
        float[] a = e.getValue();
        float[] b = disturbed.get(e.getKey());
        for (int i = 0; i < a.length; i++) {
          worst = Math.max(worst, Math.abs(a[i] - b[i]));
        }
      }
      System.out.printf("max |gradient difference| with memory reuse between forward and backward: %.3g%n", worst);
      assertEquals(0f, worst, 1e-6f, "gradients changed when the JVM freed and reused memory before backward");
    }
  }

  /** One forward/backward pass (no dropout); with {@code disturb}, freed memory is reused in between. */
  private static Map<String, float[]> gradients(TrainableSentenceTransformer model, boolean disturb) throws Exception {
    MultipleNegativesRankingLoss loss = new MultipleNegativesRankingLoss(20, dev.quarry.similarity.SimilarityFunction.DOT);
    List<ByteBuffer> reuse = new ArrayList<>();
    try (NDManager sm = NDManager.newBaseManager("PyTorch");
        GradientCollector collector = Engine.getEngine("PyTorch").newGradientCollector()) {
      NDArray a = model.embed(sm, ANCHORS, false);
      NDArray c = model.embed(sm, POSITIVES, false);
      NDArray l = loss.compute(a, c);
      if (disturb) {
        for (int round = 0; round < 3; round++) {
          System.gc();
          Thread.sleep(50);
        }
        // Take the freed blocks back (same sizes as the id arrays) and fill them with a valid but
        // wrong token id, so that stale reads move gradients instead of crashing the JVM.
        for (int n = 1; n <= 64; n++) {
          ByteBuffer b = ByteBuffer.allocateDirect(n * 8 * 4).order(ByteOrder.nativeOrder());
          while (b.remaining() >= 8) {
            b.putLong(1000L);
          }
          reuse.add(b);
          ByteBuffer b2 = ByteBuffer.allocateDirect(n * 8 * 4 * 4).order(ByteOrder.nativeOrder());
          while (b2.remaining() >= 8) {
            b2.putLong(1000L);
          }
          reuse.add(b2);
        }
      }
      collector.backward(l);
    }
    Map<String, float[]> out = new LinkedHashMap<>();
    for (Map.Entry<String, NDArray> e : model.encoder().parameters().entrySet()) {
      try (NDArray g = e.getValue().getGradient()) {
        out.put(e.getKey(), g.toFloatArray());
        g.muli(0f);
      }
    }
    reuse.clear();
    return out;
  }
}
