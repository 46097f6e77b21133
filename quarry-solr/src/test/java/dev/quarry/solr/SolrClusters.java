package dev.quarry.solr;

import java.nio.file.Path;
import org.apache.solr.cloud.MiniSolrCloudCluster;

/** SolrCloud inside the test JVM: Jetty nodes and an embedded ZooKeeper, on 127.0.0.1. */
final class SolrClusters {
  private SolrClusters() {}

  static MiniSolrCloudCluster start(int nodes, Path dir) throws Exception {
    // Small heaps of work: no need for Solr's default 4 update threads per node on a 2-core machine.
    System.setProperty("solr.log.dir", dir.resolve("logs").toString());
    return new MiniSolrCloudCluster.Builder(nodes, dir).configure();
  }

  /** ZooKeeper host:port/chroot, what {@code --solr} takes. */
  static String zkAddress(MiniSolrCloudCluster cluster) {
    return cluster.getZkServer().getZkAddress();
  }
}
