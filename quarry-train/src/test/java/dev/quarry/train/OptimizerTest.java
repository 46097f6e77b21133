package dev.quarry.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import dev.quarry.train.optim.AdamW;
import dev.quarry.train.optim.GradientClipping;
import dev.quarry.train.optim.WarmupLinearSchedule;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** One AdamW step, clipping and the schedule against numbers worked out by hand. */
class OptimizerTest {
  @Test
  void warmupLinearSchedule() {
    WarmupLinearSchedule s = new WarmupLinearSchedule(2e-5, 4, 10);
    assertEquals(0, s.lr(0), 0);          // transformers' first step runs at 0 with warm-up
    assertEquals(1e-5, s.lr(2), 1e-18);
    assertEquals(2e-5, s.lr(4), 1e-18);   // peak at the end of warm-up
    assertEquals(1e-5, s.lr(7), 1e-18);   // (10-7)/(10-4) of the peak
    assertEquals(0, s.lr(10), 0);
    assertEquals(66, WarmupLinearSchedule.defaultWarmup(656));
  }

  /** Parameters w (decayed) and LayerNorm.weight (not decayed), loss = sum(w * x) + sum(ln^2), grads x and 2 ln. */
  private static void backward(NDManager m, Map<String, NDArray> params, float[] x) {
    try (GradientCollector gc = Engine.getEngine("PyTorch").newGradientCollector()) {
      NDArray loss = params.get("dense.weight").mul(m.create(x)).sum().add(params.get("LayerNorm.weight").square().sum());
      gc.backward(loss);
    }
  }

  @Test
  void oneAdamWStepWithoutAndWithBiasCorrection() {
    for (boolean correct : new boolean[] {false, true}) {
      try (NDManager m = NDManager.newBaseManager("PyTorch")) {
        Map<String, NDArray> params = new LinkedHashMap<>();
        params.put("dense.weight", m.create(new float[] {1f, -2f}));
        params.put("LayerNorm.weight", m.create(new float[] {0.5f}));
        params.values().forEach(p -> p.setRequiresGradient(true));
        backward(m, params, new float[] {0.1f, -3f});
        double lr = 0.01;
        double wd = 0.1;
        try (AdamW opt = new AdamW(params, 0.9, 0.999, 1e-6, wd, correct, AdamW.SENTENCE_TRANSFORMERS_DECAY)) {
          opt.step(lr);
          // By hand: m = 0.1 g, v = 0.001 g^2; uncorrected update = lr * 0.1 g / (sqrt(0.001) |g| + eps)
          // corrected: m̂ = g, v̂ = g^2 -> update = lr * g / (|g| + eps') with transformers' eps placement.
          double[] g = {0.1, -3, 1.0};
          double[] p0 = {1, -2, 0.5};
          double[] want = new double[3];
          for (int i = 0; i < 3; i++) {
            double mi = 0.1 * g[i];
            double vi = 0.001 * g[i] * g[i];
            double step = correct ? lr * Math.sqrt(1 - 0.999) / (1 - 0.9) : lr;
            want[i] = p0[i] - step * mi / (Math.sqrt(vi) + 1e-6);
            if (i < 2) {
              want[i] *= 1 - lr * wd; // decayed: dense.weight; not decayed: LayerNorm.weight
            }
          }
          float[] w = params.get("dense.weight").toFloatArray();
          float[] ln = params.get("LayerNorm.weight").toFloatArray();
          assertArrayEquals(new float[] {(float) want[0], (float) want[1]}, w, 1e-6f, "bias correction " + correct);
          assertEquals(want[2], ln[0], 1e-6, "bias correction " + correct);
        }
      }
    }
  }

  @Test
  void clipsTheGlobalNorm() {
    try (NDManager m = NDManager.newBaseManager("PyTorch")) {
      Map<String, NDArray> params = new LinkedHashMap<>();
      params.put("dense.weight", m.create(new float[] {0f, 0f}));
      params.put("LayerNorm.weight", m.create(new float[] {2f}));
      params.values().forEach(p -> p.setRequiresGradient(true));
      backward(m, params, new float[] {3f, 0f}); // grads (3, 0) and (4): global norm 5
      double norm = GradientClipping.clipGlobalNorm(params.values(), 1.0);
      assertEquals(5.0, norm, 1e-6);
      assertArrayEquals(new float[] {0.6f, 0f}, params.get("dense.weight").getGradient().toFloatArray(), 1e-6f);
      assertArrayEquals(new float[] {0.8f}, params.get("LayerNorm.weight").getGradient().toFloatArray(), 1e-6f);
    }
  }
}
