package dev.quarry.eval;

import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Per-query ranking metrics, defined as sentence-transformers' InformationRetrievalEvaluator
 * defines them (binary relevance), plus graded NDCG as trec_eval / pytrec_eval compute it.
 * {@code ranked} is the retrieved document ids, best first.
 */
public final class RankingMetrics {
  private RankingMetrics() {}

  /** 1 if a relevant document is in the top k, else 0. */
  public static double accuracy(List<String> ranked, Set<String> relevant, int k) {
    for (int i = 0; i < Math.min(k, ranked.size()); i++) {
      if (relevant.contains(ranked.get(i))) {
        return 1;
      }
    }
    return 0;
  }

  /** Relevant documents in the top k, divided by k (not by the number retrieved). */
  public static double precision(List<String> ranked, Set<String> relevant, int k) {
    return hits(ranked, relevant, k) / (double) k;
  }

  /** Relevant documents in the top k, divided by the number of relevant documents. */
  public static double recall(List<String> ranked, Set<String> relevant, int k) {
    return hits(ranked, relevant, k) / (double) relevant.size();
  }

  /** 1 / rank of the first relevant document within the top k, or 0. */
  public static double reciprocalRank(List<String> ranked, Set<String> relevant, int k) {
    for (int i = 0; i < Math.min(k, ranked.size()); i++) {
      if (relevant.contains(ranked.get(i))) {
        return 1.0 / (i + 1);
      }
    }
    return 0;
  }

  /**
   * Binary NDCG@k as sentence-transformers computes it: gain 1 per relevant hit at rank i
   * discounted by log2(i + 1), over the ideal ranking of min(|relevant|, k) relevant documents.
   */
  public static double ndcgBinary(List<String> ranked, Set<String> relevant, int k) {
    double dcg = 0;
    for (int i = 0; i < Math.min(k, ranked.size()); i++) {
      if (relevant.contains(ranked.get(i))) {
        dcg += 1 / log2(i + 2);
      }
    }
    double idcg = 0;
    for (int i = 0; i < Math.min(k, relevant.size()); i++) {
      idcg += 1 / log2(i + 2);
    }
    return idcg == 0 ? 0 : dcg / idcg;
  }

  /**
   * Graded NDCG@k as trec_eval's ndcg_cut (what pytrec_eval, BEIR and MTEB report): gain = the
   * judged grade (not 2^grade - 1), discount log2(rank + 1), ideal = all judged grades sorted.
   */
  public static double ndcgGraded(List<String> ranked, Map<String, Integer> grades, int k) {
    double dcg = 0;
    for (int i = 0; i < Math.min(k, ranked.size()); i++) {
      int g = grades.getOrDefault(ranked.get(i), 0);
      if (g > 0) {
        dcg += g / log2(i + 2);
      }
    }
    int[] ideal = grades.values().stream().filter(g -> g > 0).mapToInt(Integer::intValue).toArray();
    Arrays.sort(ideal);
    double idcg = 0;
    for (int i = 0; i < Math.min(k, ideal.length); i++) {
      idcg += ideal[ideal.length - 1 - i] / log2(i + 2);
    }
    return idcg == 0 ? 0 : dcg / idcg;
  }

  /**
   * Average precision@k as sentence-transformers computes it: the sum of precision at each
   * relevant hit within the top k, divided by min(k, |relevant|).
   */
  public static double averagePrecision(List<String> ranked, Set<String> relevant, int k) {
    int found = 0;
    double sum = 0;
    for (int i = 0; i < Math.min(k, ranked.size()); i++) {
      if (relevant.contains(ranked.get(i))) {
        found++;
        sum += found / (double) (i + 1);
      }
    }
    return sum / Math.min(k, relevant.size());
  }

  private static int hits(List<String> ranked, Collection<String> relevant, int k) {
    int n = 0;
    for (int i = 0; i < Math.min(k, ranked.size()); i++) {
      if (relevant.contains(ranked.get(i))) {
        n++;
      }
    }
    return n;
  }

  private static double log2(double x) {
    return Math.log(x) / Math.log(2);
  }
}
