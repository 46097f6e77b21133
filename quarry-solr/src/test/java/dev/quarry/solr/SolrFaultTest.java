package dev.quarry.solr;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
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
import org.apache.solr.client.solrj.request.CollectionAdminRequest;
import org.apache.solr.cloud.MiniSolrCloudCluster;
import org.apache.solr.common.cloud.DocCollection;
import org.apache.solr.common.cloud.Replica;
import org.apache.solr.common.cloud.Slice;
import org.apache.solr.embedded.JettySolrRunner;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A crash on a 3-node SolrCloud holding a 2-shard × 2-replica collection: the node that leads a
 * shard runs in a JVM of its own ({@link SolrNodeProcess}) and is killed with SIGKILL during a loop
 * of searches and acknowledged writes, so nothing hands its leadership over: the cluster notices
 * only when ZooKeeper expires its session. Then the node is started again from its own cores, and
 * finally the whole cluster is restarted.
 */
@Tag("slow")
class SolrFaultTest {
  /** At most this many searches may fail after the crash (measured: see the README's Reliability table). */
  static final int MAX_FAILED_SEARCHES = 20;
  /** Searches and writes may fail for at most this long after the crash; none may fail later. */
  static final long MAX_PAUSE_MS = 60_000;
  /** A new leader for the crashed node's shard within this long. */
  static final long MAX_FAILOVER_MS = 60_000;

  @TempDir Path tmp;

  @Test
  void aShardLeaderKilledWithSigkillIsReplacedAndNoAcknowledgedWriteIsLost() throws Exception {
    MiniSolrCloudCluster cluster = SolrClusters.start(2, tmp.resolve("solr"));
    String zk = SolrClusters.zkAddress(cluster);
    Path crashingHome = tmp.resolve("solr").resolve("crashing-node");
    int crashingPort = SolrNodeProcess.freePort();
    SolrNodeProcess crashing = SolrNodeProcess.start(zk, crashingHome, crashingPort);
    try {
      cluster.getZkStateReader().waitForLiveNodes(60, TimeUnit.SECONDS, (o, n) -> n != null && n.size() == 3);
      SentenceTransformer model = TestModels.model(TestModels.MINILM);
      IndexMetadata meta = CorpusIndexer.metadataOf(model);
      SolrTarget target = new SolrTarget(zk, "faults", 2, 2);
      Path corpus = Files.createDirectories(tmp.resolve("corpus")).resolve("corpus.jsonl");
      Files.copy(SolrIndexTest.AI_QA.resolve("corpus.jsonl"), corpus);
      float[] query = model.encodeQueries(List.of("how do transformers attend to tokens?"), EncodeOptions.defaults())[0];
      float[] writeVector = model.encodeDocuments(List.of("A passage written during the fault."), EncodeOptions.defaults())[0];

      List<String> acked = new ArrayList<>();
      ConcurrentLinkedQueue<Long> searchFailures = new ConcurrentLinkedQueue<>();
      ConcurrentLinkedQueue<Long> writeFailures = new ConcurrentLinkedQueue<>();
      ConcurrentLinkedQueue<String> writeErrors = new ConcurrentLinkedQueue<>();
      AtomicInteger searches = new AtomicInteger();
      int replicas;
      try (SolrIndex index = SolrIndex.open(target, meta, IndexSettings.defaults())) {
        CorpusSync.sync(index, corpus, CorpusIndexer.encoder(model, EncodeOptions.defaults()), CorpusSync.Options.defaults(), null);
        replicas = leadOn(cluster, "faults", crashing.nodeName);
        String shard = shardLedBy(cluster, "faults", crashing.nodeName);
        assertNotNull(shard, crashing.nodeName + " leads no shard: the crash would test nothing");
        long start = System.nanoTime();
        AtomicBoolean stop = new AtomicBoolean();
        Thread writer = new Thread(() -> {
          for (int i = 0; !stop.get(); ) {
            try {
              // Two documents per write, which may land on different shards: when one shard's leader is
              // gone the write can be applied in part, and the retry with the same ids must converge.
              index.replaceAtomically(List.of(new Document("w-" + i + "-a", "Written", "Write number " + i),
                  new Document("w-" + i + "-b", "Written", "Write number " + i + ", second document")),
                  new float[][] {writeVector, writeVector});
              index.commit(); // acknowledged only once committed
              synchronized (acked) {
                acked.add("w-" + i + "-a");
                acked.add("w-" + i + "-b");
              }
              i++;
            } catch (RuntimeException e) { // not acknowledged: retried with the same id, until it converges
              writeFailures.add(millisSince(start));
              writeErrors.add(e.getClass().getSimpleName() + ": " + e.getMessage());
            }
            sleep(50);
          }
        });
        writer.start();
        long killedAt = -1;
        long newLeaderAt = -1;
        String newLeader = null;
        while (true) {
          long now = millisSince(start);
          if (killedAt < 0 && now > 3000) {
            int status = crashing.kill();
            killedAt = millisSince(start);
            assertEquals(137, status, "the node was not killed by SIGKILL");
            assertFalse(crashing.isAlive());
          }
          try {
            index.search(SearchMode.HYBRID, "how do transformers attend to tokens?", query, 10);
            searches.incrementAndGet();
          } catch (RuntimeException e) {
            searchFailures.add(now);
          }
          if (killedAt >= 0 && newLeader == null) {
            String leader = leaderNode(cluster, "faults", shard);
            if (leader != null && !leader.equals(crashing.nodeName)) {
              newLeader = leader;
              newLeaderAt = millisSince(start);
            }
          }
          long lastFault = Math.max(killedAt, Math.max(lastOf(searchFailures), lastOf(writeFailures)));
          if (killedAt >= 0 && newLeader != null && now - lastFault > 8000) {
            break; // a new leader, and 8 s without any failure since
          }
          if (killedAt >= 0 && now - killedAt > MAX_PAUSE_MS + 30_000) {
            break;
          }
          sleep(20);
        }
        stop.set(true);
        writer.join();
        long searchWindow = searchFailures.isEmpty() ? 0 : lastOf(searchFailures) - killedAt;
        long writeWindow = writeFailures.isEmpty() ? 0 : lastOf(writeFailures) - killedAt;
        System.out.printf(Locale.ROOT, "SIGKILL of the %s leader at %d ms: new leader %s after %d ms; searches: %d ok, %d failed, the last"
            + " %d ms after the kill; documents: %d acknowledged (2 per write), %d write attempts failed, the last %d ms after the kill%n", shard, killedAt,
            newLeader, newLeaderAt - killedAt, searches.get(), searchFailures.size(), searchWindow, acked.size(), writeFailures.size(),
            writeWindow);
        writeErrors.stream().distinct().limit(3).forEach(e -> System.out.println("  write failure: " + e));
        assertNotNull(newLeader, "no new leader for " + shard + " within " + (MAX_PAUSE_MS + 30_000) + " ms of the crash");
        assertTrue(newLeaderAt - killedAt <= MAX_FAILOVER_MS, "fail-over took " + (newLeaderAt - killedAt) + " ms");
        assertTrue(searchFailures.size() <= MAX_FAILED_SEARCHES, searchFailures.size() + " searches failed");
        assertTrue(searchWindow <= MAX_PAUSE_MS, "searches failed until " + searchWindow + " ms after the crash");
        assertTrue(writeWindow <= MAX_PAUSE_MS, "writes failed until " + writeWindow + " ms after the crash");
        long killed = killedAt;
        assertTrue(writeFailures.stream().allMatch(t -> t >= killed), "a write failed before the crash: " + writeErrors.peek());
        assertTrue(searchFailures.stream().allMatch(t -> t >= killed), "a search failed before the crash");
        // Every acknowledged write is there, and each failed one, retried with its id, converged to one document.
        assertEquals(183 + acked.size(), index.size(), "acknowledged writes lost or duplicated");
        for (String id : acked) {
          assertNotNull(index.document(id), id);
        }
      }

      // The crashed node comes back from its own cores and rejoins as a replica.
      crashing = SolrNodeProcess.start(zk, crashingHome, crashingPort);
      cluster.waitForActiveCollection("faults", 180, TimeUnit.SECONDS, 2, replicas);
      try (SolrIndex index = SolrIndex.open(target, meta, IndexSettings.defaults())) {
        assertEquals(183 + acked.size(), index.size(), "every acknowledged write is there once the node is back");
      }

      // The whole cluster down and up again: the collection, its metadata and its documents survive.
      crashing.kill();
      List<JettySolrRunner> nodes = new ArrayList<>(cluster.getJettySolrRunners());
      for (JettySolrRunner j : nodes) {
        cluster.stopJettySolrRunner(j);
      }
      for (JettySolrRunner j : nodes) {
        cluster.startJettySolrRunner(j);
      }
      crashing = SolrNodeProcess.start(zk, crashingHome, crashingPort);
      cluster.waitForActiveCollection("faults", 180, TimeUnit.SECONDS, 2, replicas);
      try (SolrIndex reopened = SolrIndex.open(target, meta, IndexSettings.defaults())) {
        assertEquals(183 + acked.size(), reopened.size());
        assertTrue(CorpusSync.isUpToDate(reopened, corpus), "the sync progress survived too: nothing to re-encode");
        assertEquals(10, reopened.search(SearchMode.DENSE, "", query, 10).size());
      }
    } finally {
      crashing.kill();
      cluster.shutdown();
    }
  }

  private static List<Replica> allReplicas(DocCollection c) {
    return c.getSlices().stream().flatMap(s -> s.getReplicas().stream()).toList();
  }

  private static long millisSince(long startNanos) {
    return (System.nanoTime() - startNanos) / 1_000_000;
  }

  /** The node name of {@code shard}'s leader as the cluster state has it, or null while there is none. */
  static String leaderNode(MiniSolrCloudCluster cluster, String collection, String shard) {
    try {
      Replica leader = cluster.getSolrClient().getClusterStateProvider().getCollection(collection).getSlice(shard).getLeader();
      return leader == null ? null : leader.getNodeName();
    } catch (RuntimeException | java.io.IOException e) {
      return null;
    }
  }

  static String shardLedBy(MiniSolrCloudCluster cluster, String collection, String node) throws java.io.IOException {
    for (Slice s : cluster.getSolrClient().getClusterStateProvider().getCollection(collection).getSlices()) {
      if (s.getLeader() != null && node.equals(s.getLeader().getNodeName())) {
        return s.getName();
      }
    }
    return null;
  }

  /**
   * Makes {@code node} lead a shard (a replica there becomes the preferred leader, one is added if
   * it has none) and returns how many replicas the collection has then.
   */
  static int leadOn(MiniSolrCloudCluster cluster, String collection, String node) throws Exception {
    DocCollection c = cluster.getSolrClient().getClusterStateProvider().getCollection(collection);
    int replicas = allReplicas(c).size();
    if (shardLedBy(cluster, collection, node) != null) {
      return replicas;
    }
    Replica there = allReplicas(c).stream().filter(r -> r.getNodeName().equals(node)).findFirst().orElse(null);
    if (there == null) {
      CollectionAdminRequest.addReplicaToShard(collection, "shard1").setNode(node).process(cluster.getSolrClient());
      replicas++;
      cluster.waitForActiveCollection(collection, 120, TimeUnit.SECONDS, 2, replicas);
      c = cluster.getSolrClient().getClusterStateProvider().getCollection(collection);
      there = allReplicas(c).stream().filter(r -> r.getNodeName().equals(node)).findFirst().orElseThrow();
    }
    String shard = c.getSlices().stream().filter(s -> s.getReplicas().stream().anyMatch(r -> r.getNodeName().equals(node))).findFirst()
        .orElseThrow().getName();
    CollectionAdminRequest.addReplicaProperty(collection, shard, there.getName(), "preferredLeader", "true").process(cluster.getSolrClient());
    CollectionAdminRequest.rebalanceLeaders(collection).process(cluster.getSolrClient());
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (!node.equals(leaderNode(cluster, collection, shard)) && System.nanoTime() < deadline) {
      sleep(200);
    }
    return replicas;
  }

  static long lastOf(ConcurrentLinkedQueue<Long> q) {
    long last = Long.MIN_VALUE / 2;
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
