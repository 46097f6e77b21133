package dev.quarry.similarity;

import dev.quarry.QuarryException;
import java.util.Locale;

/**
 * sentence-transformers' {@code SimilarityFunction}: higher is always more similar, so the two
 * distances are negated (as {@code pairwise_euclidean_sim} / {@code pairwise_manhattan_sim} do).
 */
public enum SimilarityFunction {
  COSINE("cosine"),
  DOT("dot"),
  EUCLIDEAN("euclidean"),
  MANHATTAN("manhattan");

  private final String id;

  SimilarityFunction(String id) {
    this.id = id;
  }

  public String id() {
    return id;
  }

  /** The name of sentence-transformers' util function for it, as its model cards print a loss's {@code similarity_fct}. */
  public String utilName() {
    return switch (this) {
      case COSINE -> "cos_sim";
      case DOT -> "dot_score";
      case EUCLIDEAN -> "pairwise_euclidean_sim";
      case MANHATTAN -> "pairwise_manhattan_sim";
    };
  }

  /** Parses sentence-transformers' names, including the aliases it accepts ("dot_product", "cos_sim"). */
  public static SimilarityFunction fromId(String id) {
    return switch (id.toLowerCase(Locale.ROOT)) {
      case "cosine", "cos_sim" -> COSINE;
      case "dot", "dot_product", "dot_score" -> DOT;
      case "euclidean" -> EUCLIDEAN;
      case "manhattan" -> MANHATTAN;
      default -> throw new QuarryException("Unknown similarity function '" + id
          + "'. Valid: cosine, dot, euclidean, manhattan.");
    };
  }

  /** Score of one pair; vectors must have the same dimension. */
  public float score(float[] a, float[] b) {
    if (a.length != b.length) {
      throw new QuarryException("Cannot compare vectors of dimension " + a.length + " and " + b.length);
    }
    double s = 0;
    switch (this) {
      case DOT -> {
        for (int i = 0; i < a.length; i++) {
          s += (double) a[i] * b[i];
        }
        return (float) s;
      }
      case COSINE -> {
        double na = 0;
        double nb = 0;
        for (int i = 0; i < a.length; i++) {
          s += (double) a[i] * b[i];
          na += (double) a[i] * a[i];
          nb += (double) b[i] * b[i];
        }
        // torch's cos_sim normalises each side with eps 1e-12 (F.normalize), not the product.
        return (float) (s / (Math.max(Math.sqrt(na), 1e-12) * Math.max(Math.sqrt(nb), 1e-12)));
      }
      case EUCLIDEAN -> {
        for (int i = 0; i < a.length; i++) {
          double d = a[i] - b[i];
          s += d * d;
        }
        return (float) -Math.sqrt(s);
      }
      case MANHATTAN -> {
        for (int i = 0; i < a.length; i++) {
          s += Math.abs(a[i] - b[i]);
        }
        return (float) -s;
      }
      default -> throw new IllegalStateException();
    }
  }

  /** The full score matrix [a.length][b.length], as {@code model.similarity(a, b)}. */
  public float[][] matrix(float[][] a, float[][] b) {
    float[][] out = new float[a.length][b.length];
    for (int i = 0; i < a.length; i++) {
      for (int j = 0; j < b.length; j++) {
        out[i][j] = score(a[i], b[j]);
      }
    }
    return out;
  }
}
