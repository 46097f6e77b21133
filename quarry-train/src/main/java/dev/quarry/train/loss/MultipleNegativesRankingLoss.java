package dev.quarry.train.loss;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import dev.quarry.QuarryException;
import dev.quarry.similarity.SimilarityFunction;
import dev.quarry.train.bert.NativeArrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * sentence-transformers' {@code MultipleNegativesRankingLoss}: for each anchor a_i, its positive
 * p_i must outscore every other candidate in the batch (the other anchors' positives, and any hard
 * negatives), by cross-entropy over {@code scale * sim(a_i, candidates)} with label i.
 */
public final class MultipleNegativesRankingLoss implements EmbeddingLoss {
  static final String CLASS_NAME = "sentence_transformers.losses.MultipleNegativesRankingLoss.MultipleNegativesRankingLoss";
  private final double scale;
  private final SimilarityFunction similarity;

  public MultipleNegativesRankingLoss(double scale, SimilarityFunction similarity) {
    checkSimilarity(similarity);
    this.scale = scale;
    this.similarity = similarity;
  }

  /** The similarities the loss trains with: cosine and dot (the others are not what MNRL's scores mean). */
  public static void checkSimilarity(SimilarityFunction similarity) {
    if (similarity != SimilarityFunction.COSINE && similarity != SimilarityFunction.DOT) {
      throw new QuarryException("MultipleNegativesRankingLoss supports the cosine and dot similarities (--similarity), not "
          + similarity.id() + ".");
    }
  }

  @Override
  public List<LossCard> cards() {
    Map<String, String> p = new LinkedHashMap<>();
    p.put("scale", LossCard.pythonFloat(scale));
    p.put("similarity_fct", "'" + similarity.utilName() + "'");
    return List.of(new LossCard(CLASS_NAME, p));
  }

  /** The reference: scale 20, cosine (sentence-transformers' defaults). */
  public static MultipleNegativesRankingLoss defaults() {
    return new MultipleNegativesRankingLoss(20, SimilarityFunction.COSINE);
  }

  public double scale() {
    return scale;
  }

  public SimilarityFunction similarity() {
    return similarity;
  }

  /** The mean cross-entropy over the anchors, a scalar. */
  @Override
  public NDArray compute(NDArray anchors, NDArray candidates) {
    long batch = anchors.getShape().get(0);
    if (candidates.getShape().get(0) % batch != 0) {
      throw new IllegalArgumentException("candidates " + candidates.getShape() + " are not a multiple of the batch " + batch);
    }
    NDArray a = anchors;
    NDArray c = candidates;
    if (similarity == SimilarityFunction.COSINE) {
      a = normalize(anchors);
      c = normalize(candidates);
    }
    NDArray scores = NativeArrays.mul(a.matMul(c.transpose()), scale); // [batch, candidates]
    NDArray labels = scores.getManager().arange(0, (int) batch, 1, DataType.INT64).reshape(batch, 1);
    return scores.logSoftmax(1).gather(labels, 1).mean().neg();
  }

  private static NDArray normalize(NDArray x) {
    return NativeArrays.normalizeRows(x, 1e-12f);
  }
}
