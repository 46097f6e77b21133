package dev.quarry.cli;

import dev.quarry.encode.SentenceTransformer;
import dev.quarry.index.PassageIndex;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** {@code quarry index}: builds (or updates) the Lucene index of a BEIR corpus. */
@Command(name = "index", mixinStandardHelpOptions = true,
    description = {"Index a BEIR corpus in Lucene (HNSW vectors, BM25 text) or a SolrCloud collection (--solr), streaming and resumable.",
        "Run again after corpus.jsonl changed: only new and changed documents are encoded, vanished ids are deleted."})
final class IndexCommand implements Callable<Integer> {
  @Mixin ModelOptions model;
  @Mixin DatasetOptions data;
  @Mixin IndexOptions index;

  @Override
  public Integer call() {
    long start = System.nanoTime();
    Path dir = data.folder();
    try (SentenceTransformer m = model.load(); PassageIndex idx = IndexAccess.open(m, dir, index)) {
      System.out.printf(Locale.ROOT, "Index %s holds %d documents (%s), ready in %.1f s%n", idx.location(),
          idx.size(), m.folder().modelId(), (System.nanoTime() - start) / 1e9);
      if (idx.isMerging()) {
        // At a million passages the merges' HNSW rebuilds can take as long again as the indexing.
        System.err.println("quarry: waiting for Lucene to merge segments (faster searches later); everything is committed,"
            + " so interrupting now loses nothing");
      }
    }
    return 0;
  }
}
