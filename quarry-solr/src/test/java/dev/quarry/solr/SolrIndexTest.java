package dev.quarry.solr;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.quarry.QuarryException;
import dev.quarry.TestModels;
import dev.quarry.data.BeirDataset;
import dev.quarry.encode.SentenceTransformer;
import dev.quarry.index.CorpusIndexer;
import dev.quarry.index.CorpusSync;
import dev.quarry.index.IndexMetadata;
import dev.quarry.index.IndexSettings;
import dev.quarry.index.SearchMode;
import dev.quarry.index.lucene.LuceneIndex;
import dev.quarry.search.Hit;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.solr.cloud.MiniSolrCloudCluster;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A 2-shard collection on an in-JVM SolrCloud against the local Lucene index, built from the same
 * corpus with the same model: the same documents, the same BM25 scores, the same dense and hybrid
 * rankings, and the same incremental sync.
 */
@org.junit.jupiter.api.Tag("slow") // starts a SolrCloud: left out of the fast tier (-Pfast)
class SolrIndexTest {
  static final Path AI_QA = Path.of("..", "datasets", "ai-qa");
  @TempDir static Path tmp;
  static MiniSolrCloudCluster cluster;
  static SentenceTransformer model;

  @BeforeAll
  static void startCluster() throws Exception {
    cluster = SolrClusters.start(2, tmp.resolve("solr"));
    model = TestModels.model(TestModels.MINILM);
  }

  @AfterAll
  static void stopCluster() throws Exception {
    if (cluster != null) {
      cluster.shutdown();
    }
  }

  static SolrTarget target(String collection) {
    return new SolrTarget(SolrClusters.zkAddress(cluster), collection, 2, 1);
  }

  @Test
  void rankingsEqualTheLocalIndex() throws IOException {
    Path corpus = copyCorpus("same");
    BeirDataset ds = BeirDataset.load(AI_QA, "test", false);
    IndexMetadata meta = CorpusIndexer.metadataOf(model);
    CorpusSync.Encoder encoder = CorpusIndexer.encoder(model, dev.quarry.encode.EncodeOptions.defaults());
    try (LuceneIndex local = LuceneIndex.open(tmp.resolve("local"), meta, IndexSettings.defaults());
        SolrIndex solr = SolrIndex.open(target("same"), meta, IndexSettings.defaults())) {
      CorpusSync.Report a = CorpusSync.sync(local, corpus, encoder, CorpusSync.Options.defaults(), null);
      CorpusSync.Report b = CorpusSync.sync(solr, corpus, encoder, new CorpusSync.Options(50, 100), null);
      assertEquals(a.added(), b.added());
      assertEquals(local.size(), solr.size());
      assertEquals(183, solr.size());
      assertTrue(CorpusSync.isUpToDate(solr, corpus), "the progress committed with the documents says complete");

      String someId = ds.corpus().documents().get(7).id();
      assertEquals(local.document(someId), solr.document(someId));
      assertNull(solr.document("no-such-id"));
      assertNull(solr.document(SolrIndex.META_ID), "the metadata document is not a passage");

      List<String> ids = ds.queries().byId().keySet().stream().sorted().toList();
      float[][] q = model.encodeQueries(ids.stream().map(ds.queries()::get).toList(), dev.quarry.encode.EncodeOptions.defaults());
      int sameDense = 0;
      int sameHybrid = 0;
      int sameHybridTop = 0;
      for (int i = 0; i < ids.size(); i++) {
        String text = ds.queries().get(ids.get(i));
        List<Hit> lb = local.search(SearchMode.BM25, text, null, 10);
        List<Hit> sb = solr.search(SearchMode.BM25, text, null, 10);
        assertEquals(lb.size(), sb.size());
        for (int j = 0; j < lb.size(); j++) {
          // Collection-wide statistics (ExactStatsCache): the sharded score is the single index's.
          assertEquals(lb.get(j).score(), sb.get(j).score(), 1e-4 * lb.get(j).score(), "BM25 score for '" + text + "'");
        }
        // The same documents in the same order, up to ties (the engines break ties by different doc
        // ids): Solr's j-th document has the local j-th score in the local index.
        Map<String, Float> localScores = new java.util.HashMap<>();
        local.search(SearchMode.BM25, text, null, 40).forEach(h -> localScores.put(h.id(), h.score()));
        for (int j = 0; j < sb.size(); j++) {
          Float own = localScores.get(sb.get(j).id());
          assertTrue(own != null && Math.abs(own - lb.get(j).score()) <= 1e-4 * own, "BM25 for '" + text + "': rank " + (j + 1)
              + " is " + sb.get(j).id() + " locally scored " + own + ", expected " + lb.get(j).score());
        }
        List<Hit> ld = local.search(SearchMode.DENSE, text, q[i], 10);
        List<Hit> sd = solr.search(SearchMode.DENSE, text, q[i], 10);
        assertEquals(10, sd.size());
        assertEquals(ld.get(0).score(), sd.get(0).score(), 1e-5, "Solr's knn score maps back to the cosine");
        sameDense += idsOf(ld).equals(idsOf(sd)) ? 1 : 0;
        List<Hit> lh = local.search(SearchMode.HYBRID, text, q[i], 10);
        List<Hit> sh = solr.search(SearchMode.HYBRID, text, q[i], 10);
        sameHybridTop += lh.get(0).id().equals(sh.get(0).id()) ? 1 : 0;
        sameHybrid += idsOf(lh).equals(idsOf(sh)) ? 1 : 0;
      }
      // 183 passages: both HNSW graphs are all but exhaustive, so the lists agree for (almost) every query.
      assertTrue(sameDense >= ids.size() - 2, sameDense + " of " + ids.size() + " dense top-10 lists identical");
      // Hybrid fuses 100-deep lists of a 183-passage corpus: BM25's tied tail and the deep HNSW ranks are
      // ordered differently by the two engines, which moves fused ranks a little; the winner stays.
      System.out.printf("%d queries: dense top-10 identical %d, hybrid top-10 identical %d, hybrid top-1 identical %d%n",
          ids.size(), sameDense, sameHybrid, sameHybridTop);
      assertTrue(sameHybridTop >= ids.size() - 2, sameHybridTop + " of " + ids.size() + " hybrid winners identical");
      assertThrows(QuarryException.class, () -> solr.retriever(SearchMode.EXACT), "exact search is local-only");
    }
  }

  @Test
  void incrementalSyncAddsChangesAndDeletesLikeTheLocalIndex() throws IOException {
    Path corpus = copyCorpus("sync");
    IndexMetadata meta = CorpusIndexer.metadataOf(model);
    CorpusSync.Encoder encoder = CorpusIndexer.encoder(model, dev.quarry.encode.EncodeOptions.defaults());
    try (SolrIndex solr = SolrIndex.open(target("sync"), meta, IndexSettings.defaults())) {
      CorpusSync.sync(solr, corpus, encoder, new CorpusSync.Options(64, 64), null);
      // An API document is never deleted by a sync.
      solr.upsert(List.of(new dev.quarry.data.Document("api-1", "From the API", "Written through the server.")),
          model.encodeDocuments(List.of("From the API Written through the server."), dev.quarry.encode.EncodeOptions.defaults()));
      solr.commit();
      List<String> lines = new ArrayList<>(Files.readAllLines(corpus));
      String removed = lines.remove(3);
      lines.set(5, lines.get(5).replace("\"text\": \"", "\"text\": \"Changed. "));
      lines.add("{\"_id\": \"new-1\", \"title\": \"New\", \"text\": \"A passage added later.\"}");
      Files.write(corpus, lines);
      CorpusSync.Report r = CorpusSync.sync(solr, corpus, encoder, new CorpusSync.Options(64, 64), null);
      assertEquals(1, r.added(), r.summary());
      assertEquals(1, r.deleted(), r.summary());
      assertEquals(183 - 1 + 1 + 1, solr.size(), "the corpus minus one plus one, and the API document");
      assertNull(solr.document(removed.replaceAll(".*\"_id\": *\"([^\"]+)\".*", "$1")));
      assertEquals("A passage added later.", solr.document("new-1").text());
      assertEquals(Map.of(), solr.storedHashes(List.of("absent")));
      assertEquals(1, solr.storedHashes(List.of("new-1", "absent")).size());
    }
    // Reopened with another model: refused, as a local index is.
    IndexMetadata other = new IndexMetadata("other/model", "f00", meta.dimension(), meta.similarity(), meta.normalized());
    QuarryException e = assertThrows(QuarryException.class, () -> SolrIndex.open(target("sync"), other, IndexSettings.defaults()));
    assertTrue(e.getMessage().contains("other/model"), e.getMessage());
  }

  @Test
  void anInterruptedSyncResumesWithoutEncodingCommittedDocumentsAgain() throws IOException {
    Path corpus = copyCorpus("resume");
    IndexMetadata meta = CorpusIndexer.metadataOf(model);
    java.util.concurrent.atomic.AtomicLong encoded = new java.util.concurrent.atomic.AtomicLong();
    CorpusSync.Encoder counting = docs -> {
      encoded.addAndGet(docs.size());
      return CorpusIndexer.encoder(model, dev.quarry.encode.EncodeOptions.defaults()).encode(docs);
    };
    CorpusSync.Options small = new CorpusSync.Options(10, 20);
    int[] commits = {0};
    try (SolrIndex solr = SolrIndex.open(target("resume"), meta, IndexSettings.defaults())) {
      assertThrows(IllegalStateException.class, () -> CorpusSync.sync(solr, corpus, counting, small, (p, done, all, committed) -> {
        if (committed && ++commits[0] == 3) {
          throw new IllegalStateException("killed after 60 committed documents");
        }
      }));
    }
    assertEquals(60, encoded.get());
    try (SolrIndex solr = SolrIndex.open(target("resume"), meta, IndexSettings.defaults())) {
      assertEquals(60, solr.size());
      CorpusSync.Report r = CorpusSync.sync(solr, corpus, counting, small, null);
      assertTrue(r.resumedAtLine() >= 60, r.summary());
      assertEquals(183, encoded.get(), "committed documents are not encoded again: " + r.summary());
      assertEquals(183, solr.size());
    }
  }

  static List<String> idsOf(List<Hit> hits) {
    return hits.stream().map(Hit::id).toList();
  }

  static Path copyCorpus(String name) throws IOException {
    Path dir = Files.createDirectories(tmp.resolve("corpus-" + name));
    return Files.copy(AI_QA.resolve("corpus.jsonl"), dir.resolve("corpus.jsonl"));
  }
}
