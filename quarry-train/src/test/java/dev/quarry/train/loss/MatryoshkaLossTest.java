package dev.quarry.train.loss;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.quarry.QuarryException;
import dev.quarry.similarity.SimilarityFunction;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class MatryoshkaLossTest {
  /** MNRL (dot, scale) on the first {@code dim} columns of each row, re-normalised: in doubles, by hand. */
  static double mnrlOnCut(float[][] a, float[][] c, int dim, double scale) {
    double[][] an = cut(a, dim);
    double[][] cn = cut(c, dim);
    double sum = 0;
    for (int i = 0; i < an.length; i++) {
      double[] s = new double[cn.length];
      double max = Double.NEGATIVE_INFINITY;
      for (int j = 0; j < cn.length; j++) {
        for (int k = 0; k < dim; k++) {
          s[j] += an[i][k] * cn[j][k];
        }
        s[j] *= scale;
        max = Math.max(max, s[j]);
      }
      double denom = 0;
      for (double v : s) {
        denom += Math.exp(v - max);
      }
      sum += -(s[i] - max - Math.log(denom));
    }
    return sum / an.length;
  }

  private static double[][] cut(float[][] x, int dim) {
    double[][] out = new double[x.length][dim];
    for (int i = 0; i < x.length; i++) {
      double n = 0;
      for (int k = 0; k < dim; k++) {
        n += (double) x[i][k] * x[i][k];
      }
      n = Math.sqrt(n);
      for (int k = 0; k < dim; k++) {
        out[i][k] = x[i][k] / n;
      }
    }
    return out;
  }

  @Test
  void weightedSumOfTheLossOnEachNormalisedCut() {
    Random r = new Random(3);
    float[][] a = new float[4][12];
    float[][] c = new float[8][12];
    for (float[][] m : List.of(a, c)) {
      for (float[] row : m) {
        for (int k = 0; k < row.length; k++) {
          row[k] = (float) r.nextGaussian();
        }
      }
    }
    MatryoshkaLoss loss = new MatryoshkaLoss(new MultipleNegativesRankingLoss(20, SimilarityFunction.DOT),
        List.of(4, 12, 8), List.of(0.5, 1.0, 2.0), 12);
    assertArrayEquals(new int[] {12, 8, 4}, loss.dims()); // largest first, weights follow their dimension
    assertArrayEquals(new double[] {1.0, 2.0, 0.5}, loss.weights());
    double expected = 1.0 * mnrlOnCut(a, c, 12, 20) + 2.0 * mnrlOnCut(a, c, 8, 20) + 0.5 * mnrlOnCut(a, c, 4, 20);
    try (NDManager m = NDManager.newBaseManager("PyTorch")) {
      float actual = loss.compute(m.create(a), m.create(c)).getFloat();
      assertEquals(expected, actual, 1e-4 * expected);
      // Not the inner loss at full size alone: the cuts count.
      float full = new MultipleNegativesRankingLoss(20, SimilarityFunction.DOT).compute(
          m.create(cut32(a)), m.create(cut32(c))).getFloat();
      assertTrue(Math.abs(actual - full) > 0.1, actual + " vs " + full);
      assertEquals(new Shape(), loss.compute(m.create(a), m.create(c)).getShape());
    }
  }

  private static float[][] cut32(float[][] x) {
    double[][] d = cut(x, x[0].length);
    float[][] out = new float[d.length][d[0].length];
    for (int i = 0; i < d.length; i++) {
      for (int k = 0; k < d[i].length; k++) {
        out[i][k] = (float) d[i][k];
      }
    }
    return out;
  }

  @Test
  void badDimensionsAreRefusedByName() {
    MultipleNegativesRankingLoss mnrl = MultipleNegativesRankingLoss.defaults();
    assertTrue(assertThrows(QuarryException.class, () -> new MatryoshkaLoss(mnrl, List.of(768, 128), null, 384))
        .getMessage().contains("768 is outside 1..384"));
    assertTrue(assertThrows(QuarryException.class, () -> new MatryoshkaLoss(mnrl, List.of(256, 128), List.of(1.0), 384))
        .getMessage().contains("--matryoshka-weights has 1 values for 2"));
    assertTrue(assertThrows(QuarryException.class, () -> new MatryoshkaLoss(mnrl, List.of(128, 128), null, 384))
        .getMessage().contains("twice"));
  }
}
