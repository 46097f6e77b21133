package dev.quarry.solr;

import dev.quarry.QuarryFailure;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.solr.client.solrj.SolrServerException;
import org.apache.solr.client.solrj.impl.CloudSolrClient;
import org.apache.solr.client.solrj.request.CollectionAdminRequest;
import org.apache.solr.client.solrj.request.ConfigSetAdminRequest;

/** Creating and dropping the collections Quarry owns, with Collections API calls. */
final class SolrCollections {
  private SolrCollections() {}

  /** Uploads the configset and creates the collection, waiting until every replica is active. */
  @SuppressWarnings("deprecation") // setWaitForFinalState: still the way to wait for active replicas in SolrJ 9.10
  static void create(CloudSolrClient client, SolrTarget target, byte[] configSetZip) throws SolrServerException, IOException {
    String configName = "quarry-" + target.collection();
    Path zip = Files.createTempFile("quarry-configset", ".zip");
    try {
      Files.write(zip, configSetZip);
      new ConfigSetAdminRequest.Upload().setConfigSetName(configName).setUploadFile(zip.toFile(), "application/zip")
          .setOverwrite(true).process(client);
    } finally {
      Files.deleteIfExists(zip);
    }
    CollectionAdminRequest.Create create = CollectionAdminRequest.createCollection(target.collection(), configName,
        target.shards(), target.replicas());
    create.setWaitForFinalState(true); // every replica active before the first write
    create.process(client);
  }

  /** Drops the collection (tests and `--reindex`); nothing happens if it does not exist. */
  static void delete(SolrTarget target) {
    try (CloudSolrClient client = target.client()) {
      if (CollectionAdminRequest.listCollections(client).contains(target.collection())) {
        CollectionAdminRequest.deleteCollection(target.collection()).process(client);
      }
    } catch (SolrServerException | IOException e) {
      throw new QuarryFailure("Cannot delete " + target + ": " + e.getMessage(), e);
    }
  }
}
