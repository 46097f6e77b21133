package dev.quarry.train;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.quarry.similarity.SimilarityFunction;
import dev.quarry.train.loss.MultipleNegativesRankingLoss;
import org.junit.jupiter.api.Test;

class MultipleNegativesRankingLossTest {
  /** Cross-entropy of row i of {@code scores} with label i, averaged: computed by hand in doubles. */
  static double expected(double[][] scores) {
    double sum = 0;
    for (int i = 0; i < scores.length; i++) {
      double denom = 0;
      for (double s : scores[i]) {
        denom += Math.exp(s);
      }
      sum += -(scores[i][i] - Math.log(denom));
    }
    return sum / scores.length;
  }

  @Test
  void dotProductWithScaleAndHardNegative() {
    float[] a = {1, 0, 0.5f, 0.5f};            // anchors a0=(1,0), a1=(0.5,0.5)
    float[] c = {0.9f, 0.1f, 0.2f, 0.8f, 0.3f, -0.4f, 1f, 1f}; // p0, p1, n0, n1
    // scale 2 * dot(a_i, c_j), worked out by hand:
    // a0: p0 .9, p1 .2, n0 .3, n1 1     a1: p0 .5, p1 .5, n0 -.05, n1 1
    double[][] scores = {{1.8, 0.4, 0.6, 2.0}, {1.0, 1.0, -0.1, 2.0}};
    try (NDManager m = NDManager.newBaseManager("PyTorch")) {
      NDArray loss = new MultipleNegativesRankingLoss(2, SimilarityFunction.DOT)
          .compute(m.create(a, new Shape(2, 2)), m.create(c, new Shape(4, 2)));
      assertEquals(expected(scores), loss.getFloat(), 1e-6);
      assertEquals(1.319086, loss.getFloat(), 1e-5); // the same number, written out
    }
  }

  @Test
  void cosineNormalisesBeforeScaling() {
    float[] a = {3, 0, 0, 2};
    float[] c = {1, 1, 0, 5};
    double r = Math.sqrt(0.5);
    double[][] scores = {{20 * r, 0}, {20 * r, 20}};
    try (NDManager m = NDManager.newBaseManager("PyTorch")) {
      NDArray loss = MultipleNegativesRankingLoss.defaults().compute(m.create(a, new Shape(2, 2)), m.create(c, new Shape(2, 2)));
      assertEquals(expected(scores), loss.getFloat(), 1e-5);
    }
  }
}
