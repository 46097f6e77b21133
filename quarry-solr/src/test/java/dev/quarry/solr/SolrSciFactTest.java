package dev.quarry.solr;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.quarry.TestModels;
import dev.quarry.data.BeirDataset;
import dev.quarry.data.Document;
import dev.quarry.encode.EncodeOptions;
import dev.quarry.encode.SentenceTransformer;
import dev.quarry.eval.InformationRetrievalEvaluator;
import dev.quarry.eval.IrMetrics;
import dev.quarry.eval.IrResult;
import dev.quarry.index.CorpusIndexer;
import dev.quarry.index.CorpusSync;
import dev.quarry.index.IndexMetadata;
import dev.quarry.index.IndexSettings;
import dev.quarry.index.PassageIndex;
import dev.quarry.index.SearchMode;
import dev.quarry.index.lucene.LuceneIndex;
import dev.quarry.model.ModelResolver;
import dev.quarry.search.EmbeddingCache;
import dev.quarry.search.Hit;
import dev.quarry.search.RowMatrix;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.solr.cloud.MiniSolrCloudCluster;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * SciFact through a 2-shard × 2-replica collection against the local index, the same vectors in
 * both: dense within ±0.003 NDCG@10, BM25 within ±0.002 of the local 0.6789, hybrid within ±0.003.
 */
@Tag("slow")
class SolrSciFactTest {
  static final Path SCIFACT = Path.of(System.getProperty("quarry.shared.dir", "../../shared"), "datasets", "scifact");

  @TempDir Path tmp;

  @Test
  void sameMetricsAsTheLocalIndex() throws Exception {
    dev.quarry.TestRequirements.require(Files.isDirectory(SCIFACT), "SciFact on Solr skipped: " + SCIFACT.toAbsolutePath()
        + " is absent (it lives in ../shared/datasets; set -Dquarry.shared.dir)");
    BeirDataset ds = BeirDataset.load(SCIFACT, "test", false);
    SentenceTransformer model = TestModels.model(TestModels.MINILM);
    List<String> texts = ds.corpus().documents().stream().map(Document::fullText).toList();
    // Encoded once per machine (about 3 minutes on 2 cores), then memory-mapped from the cache.
    RowMatrix vectors = new EmbeddingCache(ModelResolver.defaults().cacheDir().resolve("embeddings")).getOrComputeMapped(
        EmbeddingCache.key(model.folder(), "solr-scifact-documents", texts), texts.size(), 256,
        (from, to) -> model.encodeDocuments(texts.subList(from, to), EncodeOptions.defaults()));
    CorpusSync.Encoder precomputed = CorpusIndexer.precomputed(vectors, SCIFACT.resolve("corpus.jsonl"), model.dimension());
    InformationRetrievalEvaluator evaluator = new InformationRetrievalEvaluator(ds.queries().byId(), ds.qrels(),
        IrMetrics.withRecallAt100(), "scifact");
    List<String> ids = evaluator.queryIds();
    float[][] queries = model.encodeQueries(ids.stream().map(ds.queries()::get).toList(), EncodeOptions.defaults());
    IndexMetadata meta = CorpusIndexer.metadataOf(model);

    Map<String, IrResult> local = new LinkedHashMap<>();
    Map<String, IrResult> solr = new LinkedHashMap<>();
    try (LuceneIndex index = LuceneIndex.open(tmp.resolve("local"), meta, IndexSettings.defaults())) {
      CorpusSync.sync(index, SCIFACT.resolve("corpus.jsonl"), precomputed, CorpusSync.Options.defaults(), null);
      for (SearchMode mode : List.of(SearchMode.DENSE, SearchMode.BM25, SearchMode.HYBRID)) {
        local.put(mode.id(), run(index, mode, ds, ids, queries, evaluator));
      }
    }
    MiniSolrCloudCluster cluster = SolrClusters.start(2, tmp.resolve("solr"));
    long start = System.nanoTime();
    try (SolrIndex index = SolrIndex.open(new SolrTarget(SolrClusters.zkAddress(cluster), "scifact", 2, 2), meta,
        IndexSettings.defaults())) {
      CorpusSync.sync(index, SCIFACT.resolve("corpus.jsonl"), precomputed, CorpusSync.Options.defaults(), null);
      System.out.printf(Locale.ROOT, "SciFact into a 2x2 collection (precomputed vectors): %.1f s%n", (System.nanoTime() - start) / 1e9);
      assertEquals(5183, index.size());
      for (SearchMode mode : List.of(SearchMode.DENSE, SearchMode.BM25, SearchMode.HYBRID)) {
        solr.put(mode.id(), run(index, mode, ds, ids, queries, evaluator));
      }
    } finally {
      cluster.shutdown();
    }
    System.out.println("| mode | local NDCG@10 | Solr 2x2 NDCG@10 | local MRR@10 | Solr MRR@10 | local R@100 | Solr R@100 |");
    for (String mode : local.keySet()) {
      IrResult l = local.get(mode);
      IrResult s = solr.get(mode);
      System.out.printf(Locale.ROOT, "| %s | %.4f | %.4f | %.4f | %.4f | %.4f | %.4f |%n", mode, ndcg(l), ndcg(s), metric(l, "mrr@10"),
          metric(s, "mrr@10"), metric(l, "recall@100"), metric(s, "recall@100"));
    }
    assertEquals(ndcg(local.get("dense")), ndcg(solr.get("dense")), 0.003, "dense");
    assertEquals(0.6789, ndcg(solr.get("bm25")), 0.002, "BM25 against Anserini's flat SciFact figure");
    assertEquals(ndcg(local.get("bm25")), ndcg(solr.get("bm25")), 0.002, "BM25");
    assertEquals(ndcg(local.get("hybrid")), ndcg(solr.get("hybrid")), 0.003, "hybrid");
  }

  static IrResult run(PassageIndex index, SearchMode mode, BeirDataset ds, List<String> ids, float[][] queries,
      InformationRetrievalEvaluator evaluator) {
    var retriever = index.retriever(mode);
    Map<String, List<Hit>> hits = new LinkedHashMap<>();
    for (int i = 0; i < ids.size(); i++) {
      hits.put(ids.get(i), retriever.search(ds.queries().get(ids.get(i)), queries[i], evaluator.metrics().maxK()));
    }
    return evaluator.score(Map.of(mode.id(), hits));
  }

  static double ndcg(IrResult r) {
    return metric(r, "ndcg@10");
  }

  static double metric(IrResult r, String name) {
    return r.get(r.metrics().keySet().iterator().next(), name);
  }
}
