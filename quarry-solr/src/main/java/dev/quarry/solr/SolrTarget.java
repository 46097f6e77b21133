package dev.quarry.solr;

import dev.quarry.QuarryException;
import dev.quarry.index.IndexLocation;
import dev.quarry.index.IndexMetadata;
import dev.quarry.index.IndexSettings;
import java.io.Serializable;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import org.apache.solr.client.solrj.impl.CloudHttp2SolrClient;
import org.apache.solr.client.solrj.impl.CloudSolrClient;

/**
 * Which SolrCloud collection holds the passages, and how a new one is laid out. Serializable: a
 * Spark job's tasks open the collection on executors.
 *
 * @param address ZooKeeper {@code host:port[,host:port...][/chroot]}, or Solr base URLs
 *     {@code http://host:8983/solr[,...]}
 * @param collection the collection's name
 * @param shards shards of a collection Quarry creates
 * @param replicas replicas per shard of a collection Quarry creates
 */
public record SolrTarget(String address, String collection, int shards, int replicas) implements IndexLocation<SolrIndex>, Serializable {
  public SolrTarget {
    if (address == null || address.isBlank()) {
      throw new QuarryException("--solr needs a ZooKeeper address (host:2181[/chroot]) or Solr URLs (http://host:8983/solr).");
    }
    if (collection == null || !collection.matches("[A-Za-z0-9][A-Za-z0-9._-]{0,99}")) {
      throw new QuarryException("--collection '" + collection + "': a Solr collection name is letters, digits, '.', '_' and '-'.");
    }
    if (shards < 1 || replicas < 1) {
      throw new QuarryException("--shards and --replicas must be at least 1 (got " + shards + " and " + replicas + ").");
    }
  }

  /** A SolrJ client for the address: by ZooKeeper (cluster state pushed to it) or by Solr URLs. */
  CloudSolrClient client() {
    if (address.startsWith("http://") || address.startsWith("https://")) {
      return new CloudHttp2SolrClient.Builder(Arrays.asList(address.split(","))).build();
    }
    int slash = address.indexOf('/');
    String hosts = slash < 0 ? address : address.substring(0, slash);
    Optional<String> chroot = slash < 0 ? Optional.empty() : Optional.of(address.substring(slash));
    return new CloudHttp2SolrClient.Builder(List.of(hosts.split(",")), chroot).build();
  }

  /** Opens the collection, creating it with Quarry's configset if absent. */
  @Override
  public SolrIndex open(IndexMetadata metadata, IndexSettings settings) {
    return SolrIndex.open(this, metadata, settings);
  }

  /** Drops the collection and its configset. */
  @Override
  public void delete() {
    SolrCollections.delete(this);
  }

  @Override
  public String toString() {
    return "Solr collection " + collection + " at " + address;
  }
}
