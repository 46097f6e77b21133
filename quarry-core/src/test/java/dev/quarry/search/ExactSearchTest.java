package dev.quarry.search;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.quarry.similarity.SimilarityFunction;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class ExactSearchTest {
  @Test
  void matchesAFullSortForEverySimilarity() {
    Random r = new Random(3);
    int n = 500;
    int dim = 17;
    float[][] docs = new float[n][dim];
    for (float[] d : docs) {
      for (int i = 0; i < dim; i++) {
        d[i] = (float) r.nextGaussian();
      }
    }
    float[] q = docs[42].clone();
    for (SimilarityFunction fn : SimilarityFunction.values()) {
      ExactSearch s = new ExactSearch(ExactSearch.flatten(docs), dim, fn, i -> "d" + i);
      List<Hit> hits = s.searchOne(q, 10);
      Integer[] order = java.util.stream.IntStream.range(0, n).boxed().toArray(Integer[]::new);
      java.util.Arrays.sort(order, (a, b) -> Float.compare(fn.score(q, docs[b]), fn.score(q, docs[a])));
      for (int i = 0; i < 10; i++) {
        assertEquals("d" + order[i], hits.get(i).id(), fn + " rank " + i);
        assertEquals(fn.score(q, docs[order[i]]), hits.get(i).score(), 1e-4);
      }
    }
  }

  @Test
  void tiesAreBrokenByCorpusOrder() {
    float[][] docs = {{1, 0}, {0, 1}, {1, 0}, {1, 0}};
    ExactSearch s = new ExactSearch(ExactSearch.flatten(docs), 2, SimilarityFunction.DOT, i -> "d" + i);
    List<Hit> hits = s.searchOne(new float[] {1, 0}, 3);
    assertEquals(List.of("d0", "d2", "d3"), hits.stream().map(Hit::id).toList());
    List<List<Hit>> many = s.search(new float[][] {{1, 0}, {1, 0}, {0, 1}}, 2);
    assertEquals(List.of("d0", "d2"), many.get(1).stream().map(Hit::id).toList());
    assertEquals("d1", many.get(2).get(0).id());
  }

  /** The cache is written a chunk at a time, read back memory-mapped, and searched like the heap matrix. */
  @Test
  void theCacheStreamsChunksAndSearchesMappedVectors(@org.junit.jupiter.api.io.TempDir java.nio.file.Path tmp) {
    Random r = new Random(5);
    int n = 1000;
    int dim = 24;
    float[][] docs = new float[n][dim];
    for (float[] d : docs) {
      for (int i = 0; i < dim; i++) {
        d[i] = (float) r.nextGaussian();
      }
    }
    EmbeddingCache cache = new EmbeddingCache(tmp);
    java.util.List<int[]> chunks = new java.util.ArrayList<>();
    EmbeddingCache.Rows compute = (from, to) -> {
      chunks.add(new int[] {from, to});
      return java.util.Arrays.copyOfRange(docs, from, to);
    };
    RowMatrix mapped = cache.getOrComputeMapped("k", n, 300, compute);
    assertEquals(4, chunks.size(), "1000 rows in chunks of 300");
    assertEquals(n, mapped.rows());
    for (int i = 0; i < n; i += 97) {
      org.junit.jupiter.api.Assertions.assertArrayEquals(docs[i], mapped.row(i, new float[dim]));
    }
    assertEquals(n, cache.getOrComputeMapped("k", n, 300, compute).rows());
    assertEquals(4, chunks.size(), "a second read computes nothing");
    for (SimilarityFunction fn : List.of(SimilarityFunction.COSINE, SimilarityFunction.DOT)) {
      List<Hit> heap = new ExactSearch(ExactSearch.flatten(docs), dim, fn, i -> "d" + i).searchOne(docs[7], 10);
      List<Hit> map = new ExactSearch(mapped, fn, i -> "d" + i).searchOne(docs[7], 10);
      assertEquals(heap, map);
    }
  }
}
