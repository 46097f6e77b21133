package dev.quarry.search;

import dev.quarry.QuarryException;
import dev.quarry.data.Document;
import dev.quarry.similarity.SimilarityFunction;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.function.Function;
import java.util.function.IntFunction;
import java.util.stream.IntStream;

/**
 * Brute-force top-k over a matrix of corpus embeddings: every document scored, so results are
 * exact. The corpus is a {@link RowMatrix} (a heap array, or a memory-mapped cache file); queries
 * are spread over the cores.
 */
public final class ExactSearch {
  private final RowMatrix corpus;
  private final int dim;
  private final int size;
  private final SimilarityFunction similarity;
  private final IntFunction<String> ids;
  /** For cosine, corpus rows' inverse norms, so scoring is one dot product per document. */
  private final float[] inverseNorms;

  /**
   * @param corpus row-major [size, dim] embeddings
   * @param ids maps a corpus position to its document id
   */
  public ExactSearch(float[] corpus, int dim, SimilarityFunction similarity, IntFunction<String> ids) {
    this(RowMatrix.of(corpus, dim), similarity, ids);
  }

  /** @param ids maps a corpus position to its document id */
  public ExactSearch(RowMatrix corpus, SimilarityFunction similarity, IntFunction<String> ids) {
    this.corpus = corpus;
    this.dim = corpus.dim();
    this.size = corpus.rows();
    this.similarity = similarity;
    this.ids = ids;
    this.inverseNorms = similarity == SimilarityFunction.COSINE ? inverseNorms(corpus) : null;
  }

  public int size() {
    return size;
  }

  public SimilarityFunction similarity() {
    return similarity;
  }

  /** Top-k hits for each query, best first; queries are processed in parallel. */
  public List<List<Hit>> search(float[][] queries, int k) {
    List<List<Hit>> out = new ArrayList<>(queries.length);
    List<List<Hit>> results = new ArrayList<>(Collections.nCopies(queries.length, (List<Hit>) null));
    IntStream.range(0, queries.length).parallel().forEach(q -> results.set(q, searchOne(queries[q], k)));
    out.addAll(results);
    return out;
  }

  /** This search behind the {@link Retriever} seam, named "exact"; {@code documents} looks a hit's passage up by id. */
  public Retriever asRetriever(Function<String, Document> documents) {
    return new Retriever() {
      @Override
      public List<Hit> search(String text, float[] vector, int k) {
        return searchOne(vector, k);
      }

      @Override
      public boolean usesVectors() {
        return true;
      }

      @Override
      public Document document(String id) {
        return documents.apply(id);
      }

      @Override
      public String name() {
        return "exact";
      }
    };
  }

  public List<Hit> searchOne(float[] query, int k) {
    if (query.length != dim) {
      throw new QuarryException("Query has dimension " + query.length + " but the corpus has " + dim
          + ": embed queries and corpus with the same model.");
    }
    TopK top = new TopK(Math.min(k, size));
    float queryInvNorm = similarity == SimilarityFunction.COSINE ? inverseNorm(query, 0, dim) : 1f;
    float[] row = new float[dim]; // each corpus row is copied here (a block copy) and scored in place
    for (int i = 0; i < size; i++) {
      top.offer(i, score(query, corpus.row(i, row), i, queryInvNorm));
    }
    float[] scores = new float[Math.min(k, size)];
    int[] idx = top.indices(scores);
    List<Hit> hits = new ArrayList<>(idx.length);
    for (int j = 0; j < idx.length; j++) {
      hits.add(new Hit(ids.apply(idx[j]), scores[j]));
    }
    return hits;
  }

  private float score(float[] q, float[] v, int row, float queryInvNorm) {
    return switch (similarity) {
      case DOT -> dot(q, v, 0, dim);
      case COSINE -> dot(q, v, 0, dim) * queryInvNorm * inverseNorms[row];
      case EUCLIDEAN -> {
        float s = 0;
        for (int d = 0; d < dim; d++) {
          float x = q[d] - v[d];
          s += x * x;
        }
        yield (float) -Math.sqrt(s);
      }
      case MANHATTAN -> {
        float s = 0;
        for (int d = 0; d < dim; d++) {
          s += Math.abs(q[d] - v[d]);
        }
        yield -s;
      }
    };
  }

  /** Four independent accumulators let the JIT pipeline (and vectorise) the loop. */
  static float dot(float[] q, float[] m, int off, int dim) {
    float s0 = 0;
    float s1 = 0;
    float s2 = 0;
    float s3 = 0;
    int d = 0;
    for (; d + 3 < dim; d += 4) {
      s0 += q[d] * m[off + d];
      s1 += q[d + 1] * m[off + d + 1];
      s2 += q[d + 2] * m[off + d + 2];
      s3 += q[d + 3] * m[off + d + 3];
    }
    for (; d < dim; d++) {
      s0 += q[d] * m[off + d];
    }
    return (s0 + s1) + (s2 + s3);
  }

  private static float[] inverseNorms(RowMatrix m) {
    float[] out = new float[m.rows()];
    float[] row = new float[m.dim()];
    for (int i = 0; i < out.length; i++) {
      out[i] = inverseNorm(m.row(i, row), 0, m.dim());
    }
    return out;
  }

  private static float inverseNorm(float[] v, int off, int dim) {
    double s = 0;
    for (int d = 0; d < dim; d++) {
      s += (double) v[off + d] * v[off + d];
    }
    return (float) (1 / Math.max(Math.sqrt(s), 1e-12));
  }

  /** Flattens [n][dim] embeddings into one row-major array. */
  public static float[] flatten(float[][] rows) {
    if (rows.length == 0) {
      return new float[0];
    }
    int dim = rows[0].length;
    float[] out = new float[rows.length * dim];
    for (int i = 0; i < rows.length; i++) {
      System.arraycopy(rows[i], 0, out, i * dim, dim);
    }
    return out;
  }
}
