package dev.quarry.mine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.quarry.TestModels;
import dev.quarry.data.BeirDataset;
import dev.quarry.data.Corpus;
import dev.quarry.data.Qrels;
import dev.quarry.encode.EncodeOptions;
import dev.quarry.encode.RuntimeOptions;
import dev.quarry.encode.SentenceTransformer;
import dev.quarry.model.CrossEncoderFolder;
import dev.quarry.rerank.CrossEncoder;
import dev.quarry.rerank.TextPair;
import dev.quarry.search.ExactSearch;
import dev.quarry.search.Reranker;
import dev.quarry.search.Retriever;
import dev.quarry.search.RowMatrix;
import dev.quarry.search.Searcher;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.IntStream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Mining with all-MiniLM-L6-v2 over the bundled AI question/passage set, checked against the model's own scores. */
class HardNegativeMinerTest {
  static final Path AI_QA = Path.of("..", "datasets", "ai-qa");

  static BeirDataset train;
  static HardNegativeMiner miner;
  static Searcher exact;
  static List<HardNegativeMiner.Query> queries;
  static RowMatrix vectors;
  static SentenceTransformer model;

  @BeforeAll
  static void encode() {
    SentenceTransformer m = TestModels.model(TestModels.MINILM);
    model = m;
    BeirDataset both = BeirDataset.load(AI_QA, "train", false);
    Corpus corpus = both.corpus();
    vectors = RowMatrix.of(ExactSearch.flatten(m.encodeDocuments(corpus.fullTexts(), EncodeOptions.defaults())), m.dimension());
    Retriever scan = new ExactSearch(vectors, m.similarityFunction(), i -> corpus.get(i).id()).asRetriever(id -> corpus.get(corpus.indexOf(id)));
    // Every query of the set has one positive. Judge a second one for every other query: the passage
    // the model ranks highest among the rest, i.e. the first one mining would otherwise take.
    BeirDataset testSplit = BeirDataset.load(AI_QA, "test", false);
    Map<String, Map<String, Integer>> judged = new HashMap<>();
    both.qrels().judgements().forEach((q, d) -> judged.computeIfAbsent(q, k -> new HashMap<>()).putAll(d));
    testSplit.qrels().judgements().forEach((q, d) -> judged.computeIfAbsent(q, k -> new HashMap<>()).putAll(d));
    int n = 0;
    for (Map.Entry<String, Map<String, Integer>> e : new java.util.TreeMap<>(judged).entrySet()) {
      if (n++ % 2 == 0) {
        float[] v = m.encodeQueries(List.of(both.queries().get(e.getKey())), EncodeOptions.defaults())[0];
        scan.search(null, v, 3).stream().map(h -> h.id()).filter(id -> !e.getValue().containsKey(id)).findFirst()
            .ifPresent(id -> e.getValue().put(id, 1));
      }
    }
    train = new BeirDataset(AI_QA, "train", corpus, both.queries(), new Qrels(judged), 0);
    HardNegativeMiner.Setup setup = HardNegativeMiner.prepare(m, train, EncodeOptions.defaults(), null);
    miner = setup.miner();
    exact = setup.exact();
    queries = setup.queries();
  }

  @Test
  void judgedPositivesAreNeverNegatives() {
    assertTrue(queries.stream().filter(q -> q.positiveIds().size() > 1).count() > 50, "few queries with two positives: the test would be weak");
    // No range skip, no margin, many negatives: every positive is among the candidates and must be dropped.
    HardNegativeMiner.Result r = miner.mine(queries, exact, MiningOptions.defaults().withNegatives(20, MiningOptions.Sampling.TOP,
        MiningOptions.Format.TRIPLET));
    int rows = 0;
    for (MinedRow row : r.rows()) {
      Set<String> positives = train.qrels().relevant(row.queryId());
      assertTrue(positives.contains(row.positiveId()));
      for (String n : row.negativeIds()) {
        assertTrue(!positives.contains(n), row.queryId() + ": judged positive " + n + " mined as a negative");
      }
      rows++;
    }
    int positives = queries.stream().mapToInt(q -> q.positiveIds().size()).sum();
    assertEquals(positives * 20, rows);
    // Every positive ranked within reach, so each was seen and skipped.
    assertTrue(r.report().skipped().get("judged positive") >= queries.size(), r.report().table());
  }

  @Test
  void marginsAreMeasuredFromTheHardestPositive() {
    MiningOptions o = MiningOptions.defaults().withMargins(0.1, null);
    HardNegativeMiner.Result r = miner.mine(queries, exact, o);
    Map<String, Float> hardest = new HashMap<>(); // the model's lowest score of a query's positives
    float[] row0 = new float[vectors.dim()];
    for (HardNegativeMiner.Query q : queries) {
      for (String p : q.positiveIds()) {
        float s = model.similarityFunction().score(q.vector(), vectors.row(train.corpus().indexOf(p), row0));
        hardest.merge(q.id(), s, Math::min);
      }
    }
    for (MinedRow row : r.rows()) {
      for (float s : row.negativeScores()) {
        assertTrue(s + 0.1 <= hardest.get(row.queryId()) + 1e-6, row.queryId() + ": " + s + " within 0.1 of " + hardest.get(row.queryId()));
      }
    }
    assertTrue(r.report().skipped().getOrDefault("absolute margin 0.1", 0) > 0, "the margin removed nothing: " + r.report().table());

    MiningOptions rel = MiningOptions.defaults().withMargins(null, 0.2);
    for (MinedRow row : miner.mine(queries, exact, rel).rows()) {
      for (float s : row.negativeScores()) {
        assertTrue(s <= hardest.get(row.queryId()) * 0.8 + 1e-6, row.queryId() + ": " + s);
      }
    }
  }

  @Test
  void rangeMinSkipsTheBestSurvivors() {
    MiningOptions five = MiningOptions.defaults().withNegatives(5, MiningOptions.Sampling.TOP, MiningOptions.Format.N_TUPLE);
    MiningOptions skipTwo = five.withRange(2, null).withNegatives(3, MiningOptions.Sampling.TOP, MiningOptions.Format.N_TUPLE);
    List<MinedRow> a = miner.mine(queries, exact, five).rows();
    List<MinedRow> b = miner.mine(queries, exact, skipTwo).rows();
    assertEquals(a.size(), b.size());
    for (int i = 0; i < a.size(); i++) {
      assertEquals(a.get(i).negativeIds().subList(2, 5), b.get(i).negativeIds());
    }
  }

  @Test
  void randomSamplingStaysWithinTheRangeAndRepeatsForASeed() {
    MiningOptions random = new MiningOptions(0, 15, null, null, null, null, 3, MiningOptions.Sampling.RANDOM, MiningOptions.Format.N_TUPLE, 7);
    MiningOptions top15 = new MiningOptions(0, 15, null, null, null, null, 15, MiningOptions.Sampling.TOP, MiningOptions.Format.N_TUPLE, 7);
    List<MinedRow> sampled = miner.mine(queries, exact, random).rows();
    List<MinedRow> again = miner.mine(queries, exact, random).rows();
    List<MinedRow> pool = miner.mine(queries, exact, top15).rows();
    assertEquals(sampled, again);
    int differs = 0;
    for (int i = 0; i < sampled.size(); i++) {
      List<String> candidates = pool.get(i).negativeIds();
      List<String> got = sampled.get(i).negativeIds();
      assertTrue(new HashSet<>(candidates).containsAll(got), got + " not within " + candidates);
      // Hardest first, as the reference re-sorts a sample.
      assertTrue(candidates.indexOf(got.get(0)) < candidates.indexOf(got.get(1)));
      differs += got.equals(candidates.subList(0, 3)) ? 0 : 1;
    }
    assertTrue(differs > sampled.size() / 2, "random sampling looks like top: " + differs + " of " + sampled.size());
    assertNotEquals(sampled, miner.mine(queries, exact, new MiningOptions(0, 15, null, null, null, null, 3,
        MiningOptions.Sampling.RANDOM, MiningOptions.Format.N_TUPLE, 8)).rows());
  }

  @Test
  void nTuplesHaveExactlyTheAskedNegativesAndTheReportCountsTheRest() {
    // A tight score bound leaves some queries short of negatives: their n-tuple rows are left out and counted.
    MiningOptions o = new MiningOptions(0, 10, null, null, 0.35, null, 4, MiningOptions.Sampling.TOP, MiningOptions.Format.N_TUPLE, 42);
    HardNegativeMiner.Result r = miner.mine(queries, exact, o);
    r.rows().forEach(row -> assertEquals(4, row.negatives().size()));
    MiningReport report = r.report();
    System.out.println(report.table());
    assertEquals(queries.size(), report.queries());
    assertEquals(queries.size(), report.negativesPerQuery().values().stream().mapToInt(Integer::intValue).sum());
    assertTrue(report.droppedRows() > 0 && report.negativesPerQuery().size() > 1, report.table());
    assertEquals(r.rows().size(), report.rows());
    assertTrue(report.table().contains("max score 0.35"));
  }
  @Test
  void aCrossEncoderScoresRanksAndFiltersTheCandidates(@TempDir Path tmp) {
    // A seeded head on MiniLM's encoder: its scores mean nothing, but they are not the bi-encoder's,
    // so every check below fails if the miner used the model's scores or order.
    Path dir = TestModels.crossEncoder(tmp.resolve("ce"), 1, null);
    List<HardNegativeMiner.Query> some = queries.subList(0, 40);
    try (CrossEncoder ce = CrossEncoder.load(CrossEncoderFolder.read(dir, "ce", tmp.resolve("cache")), RuntimeOptions.defaults())) {
      Searcher reranked = exact.withReranker(new Reranker(ce, 10));
      MiningOptions top3 = new MiningOptions(0, 8, null, null, null, null, 3, MiningOptions.Sampling.TOP, MiningOptions.Format.N_TUPLE, 42);
      HardNegativeMiner.Result r = miner.mine(some, reranked, top3);
      assertTrue(r.report().source().contains("cross-encoder ce"), r.report().source());
      Map<String, HardNegativeMiner.Query> byId = new HashMap<>();
      some.forEach(q -> byId.put(q.id(), q));
      int reordered = 0;
      for (MinedRow row : r.rows()) {
        HardNegativeMiner.Query q = byId.get(row.queryId());
        // Independently: the first stage's top (8 + positives), positives dropped, each pair scored alone.
        List<String> pool = exact.firstStage(q.text(), q.vector(), 8 + q.positiveIds().size()).stream().map(h -> h.id())
            .filter(id -> !q.positiveIds().contains(id)).toList();
        float[] want = ce.predict(pool.stream().map(id -> new TextPair(q.text(), text(id))).toList());
        List<Integer> order = new ArrayList<>(IntStream.range(0, pool.size()).boxed().toList());
        order.sort(Comparator.comparingDouble(i -> -want[i]));
        assertEquals(order.subList(0, 3).stream().map(pool::get).toList(), row.negativeIds(), row.queryId());
        for (int i = 0; i < 3; i++) {
          assertEquals(want[order.get(i)], row.negativeScores().get(i), 1e-5f);
        }
        assertEquals(ce.predict(List.of(new TextPair(q.text(), text(row.positiveId()))))[0], row.positiveScore(), 1e-5f);
        reordered += row.negativeIds().equals(pool.subList(0, 3)) ? 0 : 1;
      }
      assertTrue(reordered > r.rows().size() / 4, "the cross-encoder's order is the first stage's in most rows: " + reordered);

      // The absolute margin is measured in the cross-encoder's scores, from the query's hardest positive.
      HardNegativeMiner.Result margin = miner.mine(some, reranked, top3.withMargins(0.02, null).withNegatives(3,
          MiningOptions.Sampling.TOP, MiningOptions.Format.TRIPLET));
      Map<String, Float> hardest = new HashMap<>();
      for (MinedRow row : margin.rows()) {
        hardest.merge(row.queryId(), row.positiveScore(), Math::min);
      }
      for (MinedRow row : margin.rows()) {
        assertTrue(row.negativeScores().get(0) + 0.02 <= hardest.get(row.queryId()) + 1e-6, row.toString());
      }
      assertTrue(margin.report().skipped().getOrDefault("absolute margin 0.02", 0) > 0, margin.report().table());
    }
  }

  @Test
  void theRelativeMarginStaysBelowANegativePositiveScore() {
    // sentence-transformers 6: threshold = hardest - |hardest| x margin (#3819); (1 - margin) x hardest
    // would lie above a negative hardest score and let closer candidates through.
    MiningOptions o = MiningOptions.defaults().withMargins(null, 0.1);
    assertEquals("relative margin 0.1", HardNegativeMiner.filteredBy(-0.42f, -0.4f, o));
    assertEquals(null, HardNegativeMiner.filteredBy(-0.45f, -0.4f, o));
    assertEquals("relative margin 0.1", HardNegativeMiner.filteredBy(0.37f, 0.4f, o));
    assertEquals(null, HardNegativeMiner.filteredBy(0.35f, 0.4f, o));
  }

  private static String text(String id) {
    return train.corpus().get(train.corpus().indexOf(id)).fullText();
  }
}
