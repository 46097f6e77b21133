package dev.quarry.solr;

import dev.quarry.QuarryException;
import picocli.CommandLine.Option;

/**
 * The command-line options that name a SolrCloud collection, shared by {@code quarry} (index,
 * search, eval, serve, mine) and the Spark job, so both spell and check them the same way.
 */
public final class SolrOptions {
  @Option(names = "--solr", paramLabel = "ZK_HOST[/chroot]|URL",
      description = "Use a SolrCloud collection instead of a local index: ZooKeeper host:port[/chroot], or http://host:8983/solr.")
  public String address;

  @Option(names = "--collection", description = "Solr collection; created with Quarry's configset if absent.")
  public String collection;

  @Option(names = "--shards", description = "Shards of a collection Quarry creates (default: ${DEFAULT-VALUE}).")
  public int shards = 1;

  @Option(names = "--replicas", description = "Replicas per shard of a collection Quarry creates (default: ${DEFAULT-VALUE}).")
  public int replicas = 1;

  /** Whether {@code --solr} was given. */
  public boolean given() {
    return address != null;
  }

  /**
   * The collection named by the options, or null without {@code --solr}.
   *
   * @param defaultCollection the name when {@code --collection} is absent, or null to require it
   */
  public SolrTarget target(String defaultCollection) {
    if (address == null) {
      return null;
    }
    String name = collection != null ? collection : defaultCollection;
    if (name == null) {
      throw new QuarryException("--solr needs --collection.");
    }
    return new SolrTarget(address, name, shards, replicas);
  }
}
