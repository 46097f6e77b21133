package dev.quarry.index;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.quarry.TestModels;
import dev.quarry.data.BeirDataset;
import dev.quarry.encode.EncodeOptions;
import dev.quarry.encode.RuntimeOptions;
import dev.quarry.encode.SentenceTransformer;
import dev.quarry.eval.InformationRetrievalEvaluator;
import dev.quarry.eval.IrMetrics;
import dev.quarry.eval.IrResult;
import dev.quarry.index.lucene.LuceneIndex;
import dev.quarry.model.CrossEncoderFolder;
import dev.quarry.rerank.CrossEncoder;
import dev.quarry.rerank.TextPair;
import dev.quarry.search.Hit;
import dev.quarry.search.Reranker;
import dev.quarry.search.Retriever;
import dev.quarry.search.Searcher;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's Library example, step by step, on the bundled AI QA set: {@link CorpusIndexer#open}
 * builds and then finds the index up to date, and a {@link Searcher} gives exactly what its parts
 * give by hand (encode, retrieve, rerank with the cross-encoder's own scores, evaluate).
 */
@Tag("slow")
class SearcherOverIndexTest {
  private static final Path AI_QA = Path.of("..", "datasets", "ai-qa");
  static SentenceTransformer model;
  static CrossEncoder crossEncoder;
  @TempDir static Path tmp;

  @BeforeAll
  static void load() {
    model = TestModels.model(TestModels.MINILM);
    // A cross-encoder with a seeded head: its scores mean nothing, but they are its own, and the
    // searcher must order by them.
    crossEncoder = CrossEncoder.load(CrossEncoderFolder.read(TestModels.crossEncoder(tmp.resolve("reranker"), 1, null), "reranker",
        tmp.resolve("cache")), RuntimeOptions.defaults());
  }

  @AfterAll
  static void close() {
    crossEncoder.close();
  }

  @Test
  void theLibraryPathMatchesItsPartsByHand() {
    Path dir = tmp.resolve("idx");
    CorpusIndexer.Opened<LuceneIndex> built = CorpusIndexer.open(LuceneIndex.at(dir), model, AI_QA.resolve("corpus.jsonl"),
        CorpusIndexer.Options.defaults());
    assertNotNull(built.sync(), "a new index is built from the corpus");
    built.index().close();
    CorpusIndexer.Opened<LuceneIndex> opened = CorpusIndexer.open(LuceneIndex.at(dir), model, AI_QA.resolve("corpus.jsonl"),
        CorpusIndexer.Options.defaults());
    assertNull(opened.sync(), "an unchanged corpus is not read again");
    try (PassageIndex index = opened.index()) {
      String question = "Why would you add a warm-up phase to the learning rate schedule?";
      for (SearchMode mode : SearchMode.values()) {
        Retriever retriever = index.retriever(mode);
        float[] v = model.encodeQueries(List.of(question), EncodeOptions.defaults())[0];
        List<Hit> byHand = retriever.search(question, mode == SearchMode.BM25 ? null : v, 5);
        Searcher.Result r = Searcher.of(model, retriever).search(question, 5);
        assertEquals(byHand, r.hits().stream().map(Searcher.Ranked::hit).toList(), mode.id());
        r.hits().forEach(h -> assertEquals(index.document(h.hit().id()), h.document(), mode.id()));
      }

      int depth = 20;
      Searcher reranking = Searcher.of(model, index.retriever(SearchMode.HYBRID)).withReranker(new Reranker(crossEncoder, depth));
      List<Hit> first = reranking.firstStage(question, null, depth);
      float[] scores = crossEncoder.predict(first.stream().map(h -> new TextPair(question, index.document(h.id()).fullText())).toList());
      Searcher.Result r = reranking.search(question, 5);
      assertTrue(r.reranked());
      assertEquals(depth, r.candidates());
      for (int i = 0; i < r.hits().size(); i++) {
        Searcher.Ranked h = r.hits().get(i);
        int was = h.firstStageRank() - 1;
        assertEquals(first.get(was).id(), h.hit().id(), "first-stage rank of hit " + i);
        assertEquals(first.get(was).score(), h.firstStageScore(), 0f);
        assertEquals(scores[was], h.hit().score(), 1e-5f, "the cross-encoder's own score");
        if (i > 0) {
          assertTrue(r.hits().get(i - 1).hit().score() >= h.hit().score(), "reranked best first");
        }
      }
      for (int j = 0; j < scores.length; j++) { // nothing outside the top 5 outscores the 5th
        int j2 = j;
        if (r.hits().stream().noneMatch(h -> h.firstStageRank() - 1 == j2)) {
          assertTrue(scores[j] <= r.hits().get(4).hit().score() + 1e-6f, "candidate " + j + " left out");
        }
      }
      // Many queries at once rank as one at a time.
      List<List<Hit>> batch = reranking.rank(List.of(question, "What does dropout do?"), 5);
      assertEquals(r.hits().stream().map(h -> h.hit().id()).toList(), batch.get(0).stream().map(Hit::id).toList());

      // Fused with the first stage: RRF over the cross-encoder's order and the first stage's, by hand.
      List<Integer> byScore = new ArrayList<>(IntStream.range(0, first.size()).boxed().toList());
      byScore.sort(Comparator.comparingDouble((Integer i) -> -scores[i]).thenComparingInt(i -> i));
      Map<String, Double> rrf = new LinkedHashMap<>();
      for (int rank = 0; rank < first.size(); rank++) {
        rrf.merge(first.get(byScore.get(rank)).id(), 1.0 / (60 + rank + 1), Double::sum);
        rrf.merge(first.get(rank).id(), 1.0 / (60 + rank + 1), Double::sum);
      }
      Searcher fused = reranking.withReranker(new Reranker(crossEncoder, depth).withFusion(Reranker.Fusion.RRF));
      assertEquals("hybrid+rerank-rrf", fused.name());
      Searcher.Result f = fused.search(question, 5);
      assertTrue(f.reranked());
      boolean reordered = false;
      for (int i = 0; i < f.hits().size(); i++) {
        Searcher.Ranked h = f.hits().get(i);
        assertEquals(rrf.get(h.hit().id()), h.hit().score(), 1e-6, "fused score of hit " + i);
        for (Map.Entry<String, Double> other : rrf.entrySet()) { // nothing left out outscores a kept hit
          if (f.hits().stream().noneMatch(x -> x.hit().id().equals(other.getKey()))) {
            assertTrue(other.getValue() <= h.hit().score() + 1e-6, other.getKey() + " left out");
          }
        }
        reordered |= !h.hit().id().equals(r.hits().get(i).hit().id());
      }
      assertTrue(reordered, "fusion changes the cross-encoder's order here");
      assertEquals(f.hits().stream().map(h -> h.hit().id()).toList(),
          fused.rank(List.of(question), 5).get(0).stream().map(Hit::id).toList(), "rank() fuses as search() does");

      // Evaluating through the searcher scores the run a loop over the retriever gives.
      BeirDataset data = BeirDataset.load(AI_QA, "test", false);
      InformationRetrievalEvaluator evaluator = new InformationRetrievalEvaluator(data.queries().byId(), data.qrels(), IrMetrics.defaults(),
          "ai-qa-test");
      Retriever dense = index.retriever(SearchMode.DENSE);
      IrResult viaSearcher = evaluator.evaluate(Searcher.of(model, dense));
      List<String> ids = evaluator.queryIds();
      float[][] qv = model.encodeQueries(ids.stream().map(data.queries()::get).toList(), EncodeOptions.defaults());
      Map<String, List<Hit>> run = new LinkedHashMap<>();
      for (int i = 0; i < ids.size(); i++) {
        run.put(ids.get(i), dense.search(data.queries().get(ids.get(i)), qv[i], evaluator.metrics().maxK()));
      }
      assertEquals(evaluator.score(Map.of("dense", run)).metrics(), viaSearcher.metrics());
      assertTrue(viaSearcher.get("dense", "accuracy@5") > 0.5, "the default model answers most questions: " + viaSearcher.get("dense", "accuracy@5"));
    }
  }
}
