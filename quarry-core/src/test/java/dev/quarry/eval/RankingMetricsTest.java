package dev.quarry.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.quarry.data.Qrels;
import dev.quarry.search.Hit;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Metrics on rankings small enough to compute by hand. */
class RankingMetricsTest {
  // Ranking d1 d2 d3 d4 d5; relevant: d2 and d4 (two of them).
  static final List<String> RANKED = List.of("d1", "d2", "d3", "d4", "d5");
  static final Set<String> REL = Set.of("d2", "d4");

  @Test
  void accuracyPrecisionRecallByHand() {
    assertEquals(0, RankingMetrics.accuracy(RANKED, REL, 1));
    assertEquals(1, RankingMetrics.accuracy(RANKED, REL, 2));
    assertEquals(1 / 3.0, RankingMetrics.precision(RANKED, REL, 3), 1e-12);
    assertEquals(2 / 5.0, RankingMetrics.precision(RANKED, REL, 5), 1e-12);
    assertEquals(2 / 10.0, RankingMetrics.precision(RANKED, REL, 10), 1e-12, "divides by k, not by hits returned");
    assertEquals(0.5, RankingMetrics.recall(RANKED, REL, 3), 1e-12);
    assertEquals(1.0, RankingMetrics.recall(RANKED, REL, 4), 1e-12);
  }

  @Test
  void reciprocalRankNdcgAndApByHand() {
    assertEquals(0.5, RankingMetrics.reciprocalRank(RANKED, REL, 10), 1e-12);
    assertEquals(0.0, RankingMetrics.reciprocalRank(RANKED, REL, 1), 1e-12);
    // DCG = 1/log2(3) + 1/log2(5); IDCG = 1/log2(2) + 1/log2(3)
    double dcg = 1 / log2(3) + 1 / log2(5);
    double idcg = 1 + 1 / log2(3);
    assertEquals(dcg / idcg, RankingMetrics.ndcgBinary(RANKED, REL, 10), 1e-12);
    // AP = (1/2 + 2/4) / min(10, 2)
    assertEquals(0.5, RankingMetrics.averagePrecision(RANKED, REL, 10), 1e-12);
    // AP@3 sees only d2: (1/2) / min(3, 2)
    assertEquals(0.25, RankingMetrics.averagePrecision(RANKED, REL, 3), 1e-12);
  }

  @Test
  void gradedNdcgUsesGradesAsGains() {
    Map<String, Integer> grades = Map.of("d2", 1, "d4", 3, "d9", 2);
    // DCG = 1/log2(3) + 3/log2(5); ideal order 3, 2, 1 -> 3 + 2/log2(3) + 1/2
    double dcg = 1 / log2(3) + 3 / log2(5);
    double idcg = 3 + 2 / log2(3) + 1 / log2(4);
    assertEquals(dcg / idcg, RankingMetrics.ndcgGraded(RANKED, grades, 10), 1e-12);
    // With grade 1 everywhere graded NDCG equals the binary one.
    assertEquals(RankingMetrics.ndcgBinary(RANKED, REL, 10), RankingMetrics.ndcgGraded(RANKED, Map.of("d2", 1, "d4", 1), 10), 1e-12);
  }

  @Test
  void withOneRelevantDocumentRecallIsAccuracyAndPrecisionIsAccuracyOverK() {
    Map<String, Map<String, Integer>> judgements = new LinkedHashMap<>();
    Map<String, String> queries = new LinkedHashMap<>();
    Map<String, List<Hit>> run = new LinkedHashMap<>();
    java.util.Random r = new java.util.Random(7);
    for (int q = 0; q < 50; q++) {
      queries.put("q" + q, "text");
      judgements.put("q" + q, Map.of("d" + r.nextInt(30), 1));
      List<Hit> hits = new java.util.ArrayList<>();
      List<Integer> docs = new java.util.ArrayList<>(java.util.stream.IntStream.range(0, 30).boxed().toList());
      java.util.Collections.shuffle(docs, r);
      for (int i = 0; i < 12; i++) {
        hits.add(new Hit("d" + docs.get(i), 1f - i / 100f));
      }
      run.put("q" + q, hits);
    }
    InformationRetrievalEvaluator ev = new InformationRetrievalEvaluator(queries, new Qrels(judgements), IrMetrics.defaults(), "t");
    Map<String, Double> m = ev.compute(run);
    for (int k : List.of(1, 3, 5, 10)) {
      assertEquals(m.get("accuracy@" + k), m.get("recall@" + k), 1e-12);
      assertEquals(m.get("accuracy@" + k) / k, m.get("precision@" + k), 1e-12);
    }
    assertEquals(m.get("mrr@10") > 0, true);
  }

  @Test
  void queriesWithoutRelevantDocumentsAreNotCounted() {
    Map<String, String> queries = Map.of("a", "x", "b", "y");
    Qrels qrels = new Qrels(Map.of("a", Map.of("d1", 1), "b", Map.of("d1", 0)));
    InformationRetrievalEvaluator ev = new InformationRetrievalEvaluator(queries, qrels, IrMetrics.defaults(), "t");
    assertEquals(List.of("a"), ev.queryIds());
    Map<String, Double> m = ev.compute(Map.of("a", List.of(new Hit("d1", 1f))));
    assertEquals(1.0, m.get("accuracy@1"));
  }

  static double log2(double x) {
    return Math.log(x) / Math.log(2);
  }
}
