package dev.quarry.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.quarry.TestModels;
import dev.quarry.data.BeirDataset;
import dev.quarry.data.Document;
import dev.quarry.encode.EncodeOptions;
import dev.quarry.encode.SentenceTransformer;
import dev.quarry.eval.InformationRetrievalEvaluator;
import dev.quarry.eval.IrMetrics;
import dev.quarry.index.CorpusIndexer;
import dev.quarry.index.CorpusSync;
import dev.quarry.index.IndexSettings;
import dev.quarry.index.PassageIndex;
import dev.quarry.index.SearchMode;
import dev.quarry.index.lucene.LuceneIndex;
import dev.quarry.search.Hit;
import dev.quarry.solr.SolrIndex;
import dev.quarry.solr.SolrTarget;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.solr.cloud.MiniSolrCloudCluster;
import org.apache.spark.Success$;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerTaskEnd;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Spark job in local[2] on 2,000 SciFact passages, with a task failing once part-way inside
 * every stage that writes (encoding, the Parquet write, the per-partition Lucene index, the Solr
 * writes): its vectors equal `quarry encode`'s bit for bit, every id lands exactly once in every
 * output, and the Solr collection and Lucene index it writes rank SciFact's queries as the local
 * pipeline does.
 */
@Tag("slow")
class SparkEncodeJobTest {
  static final Path SCIFACT = Path.of(System.getProperty("quarry.shared.dir", "../../shared"), "datasets", "scifact");
  static final int PASSAGES = 2000;

  @TempDir Path tmp;

  @Test
  void jobEqualsQuarryEncodeSurvivesAFailedTaskAndFeedsSolrAndLucene() throws Exception {
    dev.quarry.TestRequirements.require(Files.isDirectory(SCIFACT), "Spark job test skipped: " + SCIFACT.toAbsolutePath()
        + " is absent (it lives in ../shared/datasets; set -Dquarry.shared.dir)");
    Path slice = sciFactSlice(tmp.resolve("scifact-2k"));
    MiniSolrCloudCluster cluster = new MiniSolrCloudCluster.Builder(1, tmp.resolve("solr")).configure();
    // local[2, 4]: two cores, and up to 4 attempts per task (local mode's default is no retry).
    SparkSession spark = SparkSession.builder().master("local[2,4]").appName("quarry-test")
        .config("spark.ui.enabled", "false").config("spark.sql.shuffle.partitions", "4").getOrCreate();
    AtomicInteger failedTasks = new AtomicInteger();
    java.util.Queue<String> failures = new java.util.concurrent.ConcurrentLinkedQueue<>();
    spark.sparkContext().addSparkListener(new SparkListener() {
      @Override
      public void onTaskEnd(SparkListenerTaskEnd end) {
        if (end.reason() != Success$.MODULE$) {
          failedTasks.incrementAndGet();
          failures.add(end.reason().toString());
        }
      }
    });
    try {
      SparkEncodeJob job = new SparkEncodeJob();
      job.input = slice.resolve("corpus.jsonl").toString();
      job.model = TestModels.folder(TestModels.MINILM).toString();
      job.parquet = tmp.resolve("vectors.parquet").toString();
      job.lucene = tmp.resolve("index").toString();
      job.solr.address = cluster.getZkServer().getZkAddress();
      job.solr.collection = "scifact2k";
      job.solr.shards = 2;
      job.partitions = 4;
      job.failOncePartition = 1;
      job.failOnceIn = List.of("encode", "parquet", "lucene", "solr");
      SparkEncodeJob.Summary summary = job.run(spark);
      assertEquals(PASSAGES, summary.rows());
      for (int i = 0; i < 50 && failedTasks.get() < 4; i++) {
        Thread.sleep(100); // listener events arrive asynchronously
      }
      for (String stage : job.failOnceIn) {
        assertTrue(failures.stream().anyMatch(f -> f.contains("injected failure in " + stage)),
            "the injected failure in " + stage + " did not happen: " + failures);
      }

      // Parquet: every id exactly once, each vector equal to `quarry encode` of the same text.
      List<Row> rows = spark.read().parquet(job.parquet).collectAsList();
      assertEquals(PASSAGES, rows.size());
      Set<String> ids = new HashSet<>();
      rows.forEach(r -> assertTrue(ids.add(r.getString(0)), "id twice: " + r.getString(0)));
      BeirDataset ds = BeirDataset.load(slice, "test", true);
      SentenceTransformer model = TestModels.model(TestModels.MINILM);
      List<Document> docs = ds.corpus().documents();
      float[][] local = model.encodeDocuments(docs.stream().map(Document::fullText).toList(), EncodeOptions.defaults());
      Map<String, float[]> byId = new HashMap<>();
      for (int i = 0; i < docs.size(); i++) {
        byId.put(docs.get(i).id(), local[i]);
      }
      double maxDiff = 0;
      for (Row r : rows) {
        float[] a = IndexSinks.floats(r.get(1));
        float[] b = byId.get(r.getString(0));
        for (int d = 0; d < a.length; d++) {
          maxDiff = Math.max(maxDiff, Math.abs(a[d] - b[d]));
        }
        assertEquals(summary.fingerprint(), r.getString(2));
      }
      System.out.printf(Locale.ROOT, "Spark job vs quarry encode, %d passages: max abs difference %.2e; failed task attempts %d%n",
          rows.size(), maxDiff, failedTasks.get());
      assertEquals(0.0, maxDiff, "the Spark job's vectors differ from `quarry encode`'s (the claim: bit for bit)");

      // The Lucene index and the Solr collection rank as the local pipeline's index does.
      InformationRetrievalEvaluator evaluator = new InformationRetrievalEvaluator(ds.queries().byId(), ds.qrels(),
          IrMetrics.withRecallAt100(), "scifact-2k");
      float[][] queries = model.encodeQueries(evaluator.queryIds().stream().map(ds.queries()::get).toList(), EncodeOptions.defaults());
      try (LuceneIndex pipeline = LuceneIndex.open(tmp.resolve("local"), CorpusIndexer.metadataOf(model), IndexSettings.defaults());
          LuceneIndex merged = LuceneIndex.open(Path.of(job.lucene), CorpusIndexer.metadataOf(model), IndexSettings.defaults());
          SolrIndex solr = SolrIndex.open(new SolrTarget(job.solr.address, job.solr.collection, 2, 1), CorpusIndexer.metadataOf(model),
              IndexSettings.defaults())) {
        // The local pipeline: `quarry index` over the same corpus, with the vectors `quarry encode` gave above.
        CorpusSync.sync(pipeline, slice.resolve("corpus.jsonl"),
            entries -> entries.stream().map(e -> byId.get(e.document().id())).toArray(float[][]::new), CorpusSync.Options.defaults(), null);
        // Exactly once: as many documents as ids, and every id there (the retried attempts' other
        // copies never arrived: a duplicate would raise the count, a loss would miss an id).
        assertEquals(PASSAGES, merged.size());
        assertEquals(PASSAGES, solr.size());
        for (Document d : docs) {
          assertTrue(merged.document(d.id()) != null, "Lucene lacks " + d.id());
          assertTrue(solr.document(d.id()) != null, "Solr lacks " + d.id());
        }
        for (SearchMode mode : List.of(SearchMode.DENSE, SearchMode.BM25, SearchMode.HYBRID)) {
          double p = ndcg(pipeline, mode, ds, evaluator, queries);
          double l = ndcg(merged, mode, ds, evaluator, queries);
          double s = ndcg(solr, mode, ds, evaluator, queries);
          System.out.printf(Locale.ROOT, "%s NDCG@10 on the 2k slice (%d queries): local pipeline %.4f, Spark -> Lucene %.4f,"
              + " Spark -> Solr %.4f%n", mode.id(), evaluator.queryIds().size(), p, l, s);
          assertEquals(p, l, 1e-3, mode.id() + " Lucene");
          assertEquals(p, s, 1e-3, mode.id() + " Solr");
        }
      }
    } finally {
      spark.stop();
      cluster.shutdown();
    }
  }

  static double ndcg(PassageIndex index, SearchMode mode, BeirDataset ds, InformationRetrievalEvaluator evaluator, float[][] queries) {
    var retriever = index.retriever(mode);
    Map<String, List<Hit>> run = new LinkedHashMap<>();
    List<String> ids = evaluator.queryIds();
    for (int i = 0; i < ids.size(); i++) {
      run.put(ids.get(i), retriever.search(ds.queries().get(ids.get(i)), queries[i], evaluator.metrics().maxK()));
    }
    var r = evaluator.score(Map.of(mode.id(), run));
    return r.get(mode.id(), "ndcg@10");
  }

  /** The first 2,000 SciFact passages, with the test queries judged against them. */
  static Path sciFactSlice(Path dir) throws Exception {
    Files.createDirectories(dir.resolve("qrels"));
    List<String> corpus = Files.readAllLines(SCIFACT.resolve("corpus.jsonl")).subList(0, PASSAGES);
    Files.write(dir.resolve("corpus.jsonl"), corpus);
    Files.copy(SCIFACT.resolve("queries.jsonl"), dir.resolve("queries.jsonl"));
    Set<String> kept = new HashSet<>();
    for (String line : corpus) {
      kept.add(line.replaceAll("^\\{\"_id\": *\"([^\"]+)\".*", "$1"));
    }
    List<String> qrels = Files.readAllLines(SCIFACT.resolve("qrels/test.tsv"));
    List<String> out = new java.util.ArrayList<>(List.of(qrels.get(0)));
    qrels.stream().skip(1).filter(l -> kept.contains(l.split("\t")[1])).forEach(out::add);
    Files.write(dir.resolve("qrels/test.tsv"), out);
    return dir;
  }
}
