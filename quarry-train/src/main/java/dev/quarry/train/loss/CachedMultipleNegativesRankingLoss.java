package dev.quarry.train.loss;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.GradientCollector;
import dev.quarry.QuarryException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * sentence-transformers' {@code CachedMultipleNegativesRankingLoss} (GradCache, Gao et al. 2021):
 * the in-batch negatives of a large batch at the activation memory of a mini-batch.
 *
 * <ol>
 *   <li>Embed the batch mini-batch by mini-batch without autograd, keeping only the embeddings.
 *   <li>Compute the loss on those embeddings as leaves and back-propagate to them: the gradient of
 *       the loss with respect to every embedding, cached.
 *   <li>Embed each mini-batch again, now with autograd, and back-propagate the cached gradient
 *       through it ({@code e.backward(grad)}); the model's parameter gradients accumulate to
 *       exactly those of the whole batch in one pass.
 * </ol>
 *
 * <p>Why the two passes agree: libtorch's generator is re-seeded with the same value before the
 * first and the second embedding of a mini-batch, so dropout draws the same masks (the role of
 * {@code RandContext} in the reference). The price is one extra forward pass per step.
 */
public final class CachedMultipleNegativesRankingLoss {
  /** Embeds texts into {@code out}; differentiable when autograd is on. */
  @FunctionalInterface
  public interface Embedder {
    NDArray embed(NDManager out, List<String> texts, boolean training);
  }

  private final EmbeddingLoss loss;
  private final int miniBatchSize;

  /**
   * @param loss the loss on the whole batch's embeddings: {@link MultipleNegativesRankingLoss}, or a
   *     {@link MatryoshkaLoss} around it
   * @param miniBatchSize texts embedded at once; bounds the activation memory
   */
  public CachedMultipleNegativesRankingLoss(EmbeddingLoss loss, int miniBatchSize) {
    if (miniBatchSize < 1) {
      throw new QuarryException("--mini-batch-size must be at least 1, got " + miniBatchSize + ".");
    }
    this.loss = loss;
    this.miniBatchSize = miniBatchSize;
  }

  /**
   * One step's loss and gradients: afterwards the model's parameters hold the gradients of the
   * loss over the whole batch (added to whatever they held).
   *
   * @param seed dropout seed of the step; mini-batch j of the anchors (or candidates) is embedded
   *     under a seed derived from it, in both passes
   * @return the loss
   */
  public double forwardBackward(Embedder model, List<String> anchors, List<String> candidates, long seed, boolean training) {
    boolean gradMode = JniUtils.isGradMode();
    try (NDManager step = NDManager.newBaseManager("PyTorch")) {
      // 1. Embeddings without a graph.
      JniUtils.setGradMode(false);
      NDArray a = embedAll(step, model, anchors, seed, 0, training);
      NDArray c = embedAll(step, model, candidates, seed, 1, training);
      // 2. The loss on the embeddings as leaves; their gradients are the cache.
      a.setRequiresGradient(true);
      c.setRequiresGradient(true);
      double value;
      try (GradientCollector collector = Engine.getEngine("PyTorch").newGradientCollector()) {
        NDArray l = loss.compute(a, c);
        collector.backward(l);
        value = l.getFloat();
      }
      NDArray gradA = a.getGradient().duplicate();
      NDArray gradC = c.getGradient().duplicate();
      // 3. Each mini-batch again, with its graph, fed its cached gradient.
      try (GradientCollector ignored = Engine.getEngine("PyTorch").newGradientCollector()) {
        backwardAll(step, model, anchors, gradA, seed, 0, training);
        backwardAll(step, model, candidates, gradC, seed, 1, training);
      }
      return value;
    } finally {
      JniUtils.setGradMode(gradMode);
    }
  }

  /** The seed of mini-batch {@code j} of column group {@code group} (0 anchors, 1 candidates). */
  static long miniBatchSeed(long stepSeed, int group, int j) {
    return stepSeed * 1_000_033L + group * 100_003L + j;
  }

  private NDArray embedAll(NDManager out, Embedder model, List<String> texts, long seed, int group, boolean training) {
    NDList parts = new NDList();
    for (int start = 0, j = 0; start < texts.size(); start += miniBatchSize, j++) {
      JniUtils.setSeed(miniBatchSeed(seed, group, j));
      parts.add(model.embed(out, texts.subList(start, Math.min(texts.size(), start + miniBatchSize)), training));
    }
    NDArray all = parts.size() == 1 ? parts.get(0).duplicate() : NDArrays.concat(parts, 0);
    parts.close();
    return all;
  }

  private void backwardAll(NDManager out, Embedder model, List<String> texts, NDArray grads, long seed, int group,
      boolean training) {
    for (int start = 0, j = 0; start < texts.size(); start += miniBatchSize, j++) {
      int end = Math.min(texts.size(), start + miniBatchSize);
      try (NDManager mb = out.newSubManager()) {
        JniUtils.setSeed(miniBatchSeed(seed, group, j));
        NDArray e = model.embed(mb, texts.subList(start, end), training);
        NDArray g = grads.get(new NDIndex("{}:{}", start, end)).duplicate();
        g.attach(mb);
        // e.backward(g): the chain rule from the cached embedding gradients into the parameters.
        JniUtils.backward((PtNDArray) e, (PtNDArray) g, false, false);
      }
    }
  }

  /** The card of the MNRL it caches, shown as sentence-transformers' cached class with its mini-batch size. */
  LossCard card(LossCard mnrl) {
    Map<String, String> p = new LinkedHashMap<>(mnrl.parameters());
    p.put("mini_batch_size", Integer.toString(miniBatchSize));
    return new LossCard("sentence_transformers.losses.CachedMultipleNegativesRankingLoss.CachedMultipleNegativesRankingLoss", p);
  }
}
