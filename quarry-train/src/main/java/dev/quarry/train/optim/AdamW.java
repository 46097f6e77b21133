package dev.quarry.train.optim;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.quarry.io.Tensor;
import dev.quarry.train.bert.NativeArrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Predicate;

/**
 * AdamW as transformers' {@code AdamW} computes it (the optimizer of the reference run), with
 * the bias correction switchable and weight decay only on the parameters sentence-transformers
 * decays (not biases, not LayerNorm weights). DJL's own AdamW decays every parameter.
 *
 * <p>Per parameter p with gradient g, at step t (1-based):
 * m = β1 m + (1-β1) g; v = β2 v + (1-β2) g²; step = lr (·√(1-β2^t)/(1-β1^t) when correcting);
 * p -= step · m / (√v + ε); then p -= lr · wd · p where decayed.
 */
public final class AdamW implements AutoCloseable {
  /** sentence-transformers' no_decay list: any name containing "bias", "LayerNorm.bias" or "LayerNorm.weight". */
  public static final Predicate<String> SENTENCE_TRANSFORMERS_DECAY =
      name -> !(name.contains("bias") || name.contains("LayerNorm.weight"));

  private final Map<String, NDArray> params;
  private final double beta1;
  private final double beta2;
  private final double eps;
  private final double weightDecay;
  private final boolean biasCorrection;
  private final Predicate<String> decays;
  private final NDManager state;
  private final Map<String, NDArray> m = new LinkedHashMap<>();
  private final Map<String, NDArray> v = new LinkedHashMap<>();
  private int t;

  public AdamW(Map<String, NDArray> params, double beta1, double beta2, double eps, double weightDecay,
      boolean biasCorrection, Predicate<String> decays) {
    this.params = params;
    this.beta1 = beta1;
    this.beta2 = beta2;
    this.eps = eps;
    this.weightDecay = weightDecay;
    this.biasCorrection = biasCorrection;
    this.decays = decays;
    NDManager any = params.values().iterator().next().getManager();
    this.state = any.newSubManager();
    params.forEach((name, p) -> {
      m.put(name, state.zeros(p.getShape()));
      v.put(name, state.zeros(p.getShape()));
    });
  }

  /** Steps taken so far. */
  public int steps() {
    return t;
  }

  /** One update with learning rate {@code lr}, from the gradients currently held by the parameters. */
  public void step(double lr) {
    t++;
    double stepSize = lr;
    if (biasCorrection) {
      stepSize = lr * Math.sqrt(1 - Math.pow(beta2, t)) / (1 - Math.pow(beta1, t));
    }
    for (Map.Entry<String, NDArray> e : params.entrySet()) {
      String name = e.getKey();
      NDArray p = e.getValue();
      try (NDManager sm = state.newSubManager()) {
        NDArray g = p.getGradient();
        g.attach(sm); // getGradient() returns a new handle each call; let it go with the step
        NDArray mi = m.get(name);
        NDArray vi = v.get(name);
        mi.tempAttach(sm);
        vi.tempAttach(sm);
        mi.muli((float) beta1).addi(g.mul((float) (1 - beta1)));
        vi.muli((float) beta2).addi(g.square().muli((float) (1 - beta2)));
        NDArray update = mi.div(vi.sqrt().addi((float) eps)).muli((float) stepSize);
        p.subi(update);
        if (weightDecay > 0 && decays.test(name)) {
          p.muli((float) (1 - lr * weightDecay));
        }
      }
    }
  }

  /** Sets every gradient to zero (gradients accumulate across backward passes in libtorch). */
  public void zeroGradients() {
    for (NDArray p : params.values()) {
      try (NDArray g = p.getGradient()) {
        g.muli(0f);
      }
    }
  }

  /** First and second moments by "m." / "v." + parameter name, for checkpoints. */
  public Map<String, Tensor> stateTensors() {
    Map<String, Tensor> out = new LinkedHashMap<>();
    m.forEach((k, a) -> out.put("m." + k, new Tensor(a.getShape().getShape(), a.toFloatArray())));
    v.forEach((k, a) -> out.put("v." + k, new Tensor(a.getShape().getShape(), a.toFloatArray())));
    return out;
  }

  /** Restores moments and the step count saved by {@link #stateTensors()}. */
  public void restore(Map<String, Tensor> tensors, int steps) {
    restoreInto(m, "m.", tensors);
    restoreInto(v, "v.", tensors);
    this.t = steps;
  }

  private void restoreInto(Map<String, NDArray> target, String prefix, Map<String, Tensor> tensors) {
    for (Map.Entry<String, NDArray> e : target.entrySet()) {
      Tensor saved = tensors.get(prefix + e.getKey());
      if (saved == null) {
        throw new IllegalStateException("optimizer state lacks " + prefix + e.getKey());
      }
      e.getValue().close();
      e.setValue(NativeArrays.of(state, saved.data(), new Shape(saved.shape())));
    }
  }

  @Override
  public void close() {
    state.close();
  }
}
