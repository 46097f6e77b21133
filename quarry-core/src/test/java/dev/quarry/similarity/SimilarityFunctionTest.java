package dev.quarry.similarity;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.quarry.QuarryException;
import org.junit.jupiter.api.Test;

class SimilarityFunctionTest {
  final float[] a = {1f, 2f, 2f};
  final float[] b = {2f, 0f, 1f};

  @Test
  void scoresByHand() {
    assertEquals(4f, SimilarityFunction.DOT.score(a, b), 1e-6);
    assertEquals(4 / (3 * Math.sqrt(5)), SimilarityFunction.COSINE.score(a, b), 1e-6);
    // Distances come negated so that higher always means more similar.
    assertEquals(-Math.sqrt(6), SimilarityFunction.EUCLIDEAN.score(a, b), 1e-6);
    assertEquals(-4f, SimilarityFunction.MANHATTAN.score(a, b), 1e-6);
  }

  @Test
  void namesAndMismatchedDimensions() {
    assertEquals(SimilarityFunction.DOT, SimilarityFunction.fromId("dot_product"));
    assertThrows(QuarryException.class, () -> SimilarityFunction.fromId("jaccard"));
    assertThrows(QuarryException.class, () -> SimilarityFunction.DOT.score(a, new float[2]));
  }
}
