package dev.quarry.train.loss;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.index.NDIndex;
import dev.quarry.QuarryException;
import dev.quarry.train.bert.NativeArrays;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

/**
 * sentence-transformers' {@code MatryoshkaLoss}: the wrapped loss applied to the embeddings cut to
 * each of several leading dimensions (each cut re-normalised, as its {@code shrink} does), summed
 * with weights. The first 64, 128, ... dimensions then work on their own, so a vector can be
 * truncated at search time ({@code --truncate-dim}) without retraining.
 */
public final class MatryoshkaLoss implements EmbeddingLoss {
  private final EmbeddingLoss inner;
  private final int[] dims;
  private final double[] weights;

  /**
   * @param dims the dimensions to train, each at most the model's (sorted largest first, as the
   *     reference does)
   * @param weights one per dimension, or null for 1 each
   */
  public MatryoshkaLoss(EmbeddingLoss inner, List<Integer> dims, List<Double> weights, int modelDimension) {
    if (dims.isEmpty()) {
      throw new QuarryException("MatryoshkaLoss needs at least one dimension (--matryoshka-dims).");
    }
    if (weights != null && !weights.isEmpty() && weights.size() != dims.size()) {
      throw new QuarryException("--matryoshka-weights has " + weights.size() + " values for " + dims.size()
          + " dimensions (--matryoshka-dims); give one weight per dimension.");
    }
    for (int d : dims) {
      if (d <= 0 || d > modelDimension) {
        throw new QuarryException("Matryoshka dimension " + d + " is outside 1.." + modelDimension
            + ", the model's embedding dimension (--matryoshka-dims).");
      }
    }
    if (dims.stream().distinct().count() != dims.size()) {
      throw new QuarryException("--matryoshka-dims lists a dimension twice: " + dims + ".");
    }
    this.inner = inner;
    Integer[] order = IntStream.range(0, dims.size()).boxed().sorted(Comparator.comparing((Integer i) -> -dims.get(i)))
        .toArray(Integer[]::new);
    this.dims = Arrays.stream(order).mapToInt(dims::get).toArray();
    this.weights = Arrays.stream(order).mapToDouble(i -> weights == null || weights.isEmpty() ? 1.0 : weights.get(i)).toArray();
  }

  public int[] dims() {
    return dims.clone();
  }

  public double[] weights() {
    return weights.clone();
  }

  /** Itself (its dimensions and weights, largest dimension first), then the loss it wraps. */
  @Override
  public List<LossCard> cards() {
    Map<String, String> p = new LinkedHashMap<>();
    p.put("matryoshka_dims", Arrays.toString(dims));
    p.put("matryoshka_weights", Arrays.toString(weights));
    p.put("n_dims_per_step", "-1");
    List<LossCard> out = new ArrayList<>();
    int smallest = dims[dims.length - 1];
    String note = "Matryoshka dimensions: " + Arrays.stream(dims).mapToObj(String::valueOf).collect(Collectors.joining(", "))
        + ". Embeddings cut to any of them keep working: `SentenceTransformer(path, truncate_dim=" + smallest
        + ")`, or `quarry eval --truncate-dim " + smallest + "`.";
    out.add(new LossCard("sentence_transformers.losses.MatryoshkaLoss.MatryoshkaLoss", p, note));
    out.addAll(inner.cards());
    return out;
  }

  @Override
  public NDArray compute(NDArray anchors, NDArray candidates) {
    long full = anchors.getShape().get(1);
    List<NDArray> terms = new ArrayList<>(dims.length);
    for (int i = 0; i < dims.length; i++) {
      NDArray a = shrink(anchors, dims[i], full);
      NDArray c = shrink(candidates, dims[i], full);
      terms.add(NativeArrays.mul(inner.compute(a, c), weights[i]));
    }
    NDArray sum = terms.get(0);
    for (int i = 1; i < terms.size(); i++) {
      sum = sum.add(terms.get(i));
    }
    return sum;
  }

  /** The first {@code dim} columns, re-normalised ({@code F.normalize(x[..., :dim])}). */
  private static NDArray shrink(NDArray x, int dim, long full) {
    NDArray cut = dim == full ? x : x.get(new NDIndex(":, :{}", dim));
    return NativeArrays.normalizeRows(cut, 1e-12f);
  }
}
