package dev.quarry.solr;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.quarry.TestModels;
import dev.quarry.data.Document;
import dev.quarry.encode.EncodeOptions;
import dev.quarry.encode.SentenceTransformer;
import dev.quarry.index.CorpusIndexer;
import dev.quarry.index.CorpusSync;
import dev.quarry.index.IndexMetadata;
import dev.quarry.index.IndexSettings;
import dev.quarry.index.SearchMode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.solr.cloud.MiniSolrCloudCluster;
import org.apache.solr.embedded.JettySolrRunner;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Faults on a 3-node SolrCloud holding a 2-shard × 2-replica collection: the node with a shard
 * leader is killed during a loop of searches and acknowledged writes, then brought back, then the
 * whole cluster is restarted.
 */
@Tag("slow")
class SolrFaultTest {
  /** Searches may fail while a new leader is elected; after this, none may. */
  static final long MAX_PAUSE_MS = 30_000;

  @TempDir Path tmp;

  @Test
  void nodeLossPausesSearchesBrieflyAndLosesNoAcknowledgedWrite() throws Exception {
    MiniSolrCloudCluster cluster = SolrClusters.start(3, tmp.resolve("solr"));
    try {
      SentenceTransformer model = TestModels.model(TestModels.MINILM);
      IndexMetadata meta = CorpusIndexer.metadataOf(model);
      SolrTarget target = new SolrTarget(SolrClusters.zkAddress(cluster), "faults", 2, 2);
      Path corpus = Files.createDirectories(tmp.resolve("corpus")).resolve("corpus.jsonl");
      Files.copy(SolrIndexTest.AI_QA.resolve("corpus.jsonl"), corpus);
      float[] query = model.encodeQueries(List.of("how do transformers attend to tokens?"), EncodeOptions.defaults())[0];
      float[] writeVector = model.encodeDocuments(List.of("A passage written during the fault."), EncodeOptions.defaults())[0];

      List<String> acked = new ArrayList<>();
      ConcurrentLinkedQueue<Long> searchFailures = new ConcurrentLinkedQueue<>();
      AtomicInteger searches = new AtomicInteger();
      AtomicInteger writeFailures = new AtomicInteger();
      long killedAt;
      long stopAt;
      try (SolrIndex index = SolrIndex.open(target, meta, IndexSettings.defaults())) {
        CorpusSync.sync(index, corpus, CorpusIndexer.encoder(model, EncodeOptions.defaults()), CorpusSync.Options.defaults(), null);
        AtomicBoolean stop = new AtomicBoolean();
        Thread writer = new Thread(() -> {
          for (int i = 0; !stop.get(); ) {
            try {
              index.upsert(List.of(new Document("w-" + i, "Written", "Write number " + i)), new float[][] {writeVector});
              index.commit(); // acknowledged only once committed
              synchronized (acked) {
                acked.add("w-" + i);
              }
              i++;
            } catch (RuntimeException e) {
              writeFailures.incrementAndGet(); // not acknowledged: retried with the same id
            }
            sleep(50);
          }
        });
        writer.start();
        long start = System.nanoTime();
        JettySolrRunner leaderNode = leaderOf(cluster, "faults", "shard1");
        killedAt = -1;
        stopAt = Long.MAX_VALUE;
        while (System.nanoTime() < stopAt) {
          long now = (System.nanoTime() - start) / 1_000_000;
          if (killedAt < 0 && now > 3000) {
            cluster.stopJettySolrRunner(leaderNode);
            killedAt = now;
          }
          try {
            index.search(SearchMode.HYBRID, "how do transformers attend to tokens?", query, 10);
            searches.incrementAndGet();
          } catch (RuntimeException e) {
            searchFailures.add(now);
          }
          Long last = searchFailures.isEmpty() ? null : lastOf(searchFailures);
          long quietSince = last == null ? killedAt : Math.max(killedAt, last);
          if (killedAt >= 0 && now - quietSince > 8000 && stopAt == Long.MAX_VALUE) {
            stopAt = System.nanoTime(); // 8 s without a failure after the kill
          }
          if (killedAt >= 0 && now - killedAt > MAX_PAUSE_MS + 10_000) {
            break;
          }
          sleep(20);
        }
        stop.set(true);
        writer.join();
        long pause = searchFailures.isEmpty() ? 0 : lastOf(searchFailures) - searchFailures.peek();
        System.out.printf(Locale.ROOT, "kill at %d ms: %d searches ok, %d failed within %d ms (first at +%d ms); writes: %d acknowledged,"
            + " %d attempts failed%n", killedAt, searches.get(), searchFailures.size(), pause,
            searchFailures.isEmpty() ? 0 : searchFailures.peek() - killedAt, acked.size(), writeFailures.get());
        assertTrue(pause <= MAX_PAUSE_MS, "searches failed for " + pause + " ms");
        assertTrue(searchFailures.isEmpty() || lastOf(searchFailures) < (System.nanoTime() - start) / 1_000_000 - 8000,
            "searches succeed again after the pause, with no failure since");

        cluster.startJettySolrRunner(leaderNode);
        cluster.waitForActiveCollection("faults", 120, TimeUnit.SECONDS, 2, 4);
        assertEquals(183 + acked.size(), index.size(), "every acknowledged write is there once the node is back");
        for (String id : acked) {
          assertNotNull(index.document(id), id);
        }
      }

      // The whole cluster down and up again: the collection, its metadata and its documents survive.
      List<JettySolrRunner> nodes = new ArrayList<>(cluster.getJettySolrRunners());
      for (JettySolrRunner j : nodes) {
        cluster.stopJettySolrRunner(j);
      }
      for (JettySolrRunner j : nodes) {
        cluster.startJettySolrRunner(j);
      }
      cluster.waitForActiveCollection("faults", 120, TimeUnit.SECONDS, 2, 4);
      try (SolrIndex reopened = SolrIndex.open(target, meta, IndexSettings.defaults())) {
        assertEquals(183 + acked.size(), reopened.size());
        assertTrue(CorpusSync.isUpToDate(reopened, corpus), "the sync progress survived too: nothing to re-encode");
        assertEquals(10, reopened.search(SearchMode.DENSE, "", query, 10).size());
      }
    } finally {
      cluster.shutdown();
    }
  }

  static JettySolrRunner leaderOf(MiniSolrCloudCluster cluster, String collection, String shard) throws java.io.IOException {
    String node = cluster.getSolrClient().getClusterStateProvider().getCollection(collection).getSlice(shard).getLeader().getNodeName();
    return cluster.getJettySolrRunners().stream().filter(j -> j.getNodeName().equals(node)).findFirst().orElseThrow();
  }

  static long lastOf(ConcurrentLinkedQueue<Long> q) {
    long last = -1;
    for (long t : q) {
      last = t;
    }
    return last;
  }

  static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
