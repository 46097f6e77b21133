package dev.quarry.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.quarry.TestModels;
import dev.quarry.data.BeirDataset;
import dev.quarry.encode.EncodeOptions;
import dev.quarry.encode.SentenceTransformer;
import dev.quarry.model.ModelResolver;
import dev.quarry.search.EmbeddingCache;
import dev.quarry.similarity.SimilarityFunction;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The evaluator end to end on real models and real, human-judged data. */
@Tag("slow") // real models at size, servers, fine-tunes: left out of the fast tier (-Pfast)
class EvaluatorOnRealDataTest {
  static final Path BUNDLED = Path.of("..", "datasets", "ai-qa");
  static final Path SHARED = Path.of(System.getProperty("quarry.shared.dir", "../../shared"), "datasets");

  @TempDir Path tmp;

  static EmbeddingCache cache() {
    return new EmbeddingCache(ModelResolver.defaults().cacheDir().resolve("embeddings"));
  }

  static InformationRetrievalEvaluator.Settings settings(List<SimilarityFunction> fns) {
    return new InformationRetrievalEvaluator.Settings(EncodeOptions.defaults(), EncodeOptions.defaults(), fns, cache());
  }

  @Test
  void runFileScoredIndependentlyAgreesWithTheEvaluator() throws Exception {
    BeirDataset ds = BeirDataset.load(BUNDLED, "test", false);
    SentenceTransformer model = TestModels.model(TestModels.MINILM);
    InformationRetrievalEvaluator ev = new InformationRetrievalEvaluator(ds.queries().byId(), ds.qrels(), IrMetrics.defaults(), "ai-qa");
    IrResult r = ev.evaluate(model, ds.corpus(), settings(List.of(SimilarityFunction.COSINE, SimilarityFunction.DOT)));
    Path runFile = tmp.resolve("run.trec");
    IrReport.writeRun(r.runs().get("cosine"), "quarry", runFile);
    TrecRunScorer second = new TrecRunScorer(runFile);
    assertEquals(second.mean(ds.qrels().judgements(), "ndcg", 10), r.get("cosine", "ndcg@10"), 1e-6);
    assertEquals(second.mean(ds.qrels().judgements(), "mrr", 10), r.get("cosine", "mrr@10"), 1e-6);
    assertEquals(second.mean(ds.qrels().judgements(), "ap", 100), r.get("cosine", "map@100"), 1e-6);
    // Normalised embeddings: cosine and dot rank identically.
    assertEquals(r.get("cosine", "ndcg@10"), r.get("dot", "ndcg@10"), 1e-6);
    // One relevant passage per question on this set.
    assertEquals(r.get("cosine", "accuracy@5"), r.get("cosine", "recall@5"), 1e-12);
    assertTrue(r.get("cosine", "accuracy@10") > 0.8, "a general model answers most AI questions: " + r.metrics());
  }

  @Test
  void reportsHaveSentenceTransformersNamesAndTrecFormat() throws Exception {
    BeirDataset ds = BeirDataset.load(BUNDLED, "test", false);
    InformationRetrievalEvaluator ev = new InformationRetrievalEvaluator(ds.queries().byId(), ds.qrels(), IrMetrics.defaults(), "ai-qa");
    IrResult r = ev.evaluate(TestModels.model(TestModels.MINILM), ds.corpus(), settings(List.of(SimilarityFunction.COSINE)));
    Path csv = tmp.resolve("Information-Retrieval_evaluation_ai-qa_results.csv");
    IrReport.writeCsv(r, csv, 1, 100);
    List<String> lines = Files.readAllLines(csv);
    assertTrue(lines.get(0).startsWith("epoch,steps,cosine-Accuracy@1,cosine-Accuracy@3,cosine-Accuracy@5,cosine-Accuracy@10,"
        + "cosine-Precision@1,cosine-Recall@1,"), lines.get(0));
    assertTrue(lines.get(0).endsWith("cosine-MRR@10,cosine-NDCG@10,cosine-MAP@100"), lines.get(0));
    assertTrue(IrReport.json(r).contains("\"cosine_ndcg@10\""));
    assertTrue(IrReport.table(r).contains("| MRR@10 |"));
    Path run = tmp.resolve("run.trec");
    IrReport.writeRun(r.runs().get("cosine"), "quarry", run);
    String first = Files.readAllLines(run).get(0);
    assertTrue(first.matches("q\\d+ Q0 \\S+ 1 -?\\d\\.\\d{6} quarry"), first);
  }

  @Test
  void secondEvaluationReadsCorpusEmbeddingsFromTheCache() {
    BeirDataset ds = BeirDataset.load(BUNDLED, "train", false);
    SentenceTransformer model = TestModels.model(TestModels.MINILM);
    EmbeddingCache cache = new EmbeddingCache(tmp.resolve("cache"));
    InformationRetrievalEvaluator ev = new InformationRetrievalEvaluator(ds.queries().byId(), ds.qrels(), IrMetrics.defaults(), "x");
    var s = new InformationRetrievalEvaluator.Settings(EncodeOptions.defaults(), EncodeOptions.defaults(), List.of(SimilarityFunction.COSINE), cache);
    IrResult first = ev.evaluate(model, ds.corpus(), s);
    int[] encoded = {0};
    var counting = new InformationRetrievalEvaluator.Settings(EncodeOptions.defaults(),
        EncodeOptions.defaults().withProgress((done, total) -> encoded[0] = done), List.of(SimilarityFunction.COSINE), cache);
    IrResult second = ev.evaluate(model, ds.corpus(), counting);
    assertEquals(0, encoded[0], "no document was encoded the second time");
    assertEquals(first.metrics(), second.metrics());
  }

  /**
   * Published MTEB scores of bge-small-en-v1.5 on SciFact test (see shared/datasets/REFERENCE_SCORES.md),
   * with the model's query instruction, reproduced within ±0.005.
   */
  @Test
  void reproducesPublishedBgeSmallScoresOnSciFact() {
    Path scifact = SHARED.resolve("scifact");
    dev.quarry.TestRequirements.require(Files.isDirectory(scifact), "SciFact reproduction skipped: " + scifact.toAbsolutePath()
        + " is absent (it lives in ../shared/datasets; set -Dquarry.shared.dir)");
    BeirDataset ds = BeirDataset.load(scifact, "test", false);
    assertEquals(300, ds.qrels().queryCount());
    IrMetrics metrics = IrMetrics.withRecallAt100();
    InformationRetrievalEvaluator ev = new InformationRetrievalEvaluator(ds.queries().byId(), ds.qrels(), metrics, "scifact");
    SentenceTransformer bge = TestModels.model(TestModels.BGE);
    IrResult r = ev.evaluate(bge, ds.corpus(), settings(List.of(SimilarityFunction.COSINE)));
    assertEquals(0.7127, r.get("cosine", "ndcg@10"), 0.005, "NDCG@10");
    assertEquals(0.6823, r.get("cosine", "mrr@10"), 0.005, "MRR@10");
    assertEquals(0.945, r.get("cosine", "recall@100"), 0.005, "Recall@100");
  }
}
