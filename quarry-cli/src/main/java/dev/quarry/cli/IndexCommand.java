package dev.quarry.cli;

import dev.quarry.encode.SentenceTransformer;
import dev.quarry.index.PassageIndex;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

/** {@code quarry index}: builds (or updates) the Lucene index of a BEIR corpus or of folders of files. */
@Command(name = "index", mixinStandardHelpOptions = true,
    description = {"Index folders of files (PDF, Word, HTML, Markdown, text, ...; cut into chunks) or a BEIR corpus (-d) in Lucene"
        + " (HNSW vectors, BM25 text), or a corpus in a SolrCloud collection (--solr); streaming and resumable.",
        "Run again after files changed: unchanged files are not read, changed ones replaced whole, deleted ones removed."})
final class IndexCommand implements Callable<Integer> {
  @Mixin ModelOptions model;
  @Mixin DatasetOptions data;
  @Mixin IndexOptions index;
  @Mixin DocumentOptions docs;

  @Parameters(arity = "0..*", paramLabel = "PATH", description = "Files and folders to index (instead of -d).")
  List<Path> paths = new ArrayList<>();

  @Override
  public Integer call() {
    long start = System.nanoTime();
    try (SentenceTransformer m = model.load()) {
      PassageIndex idx;
      boolean nothingRead = false;
      if (!paths.isEmpty()) {
        IndexAccess.Synced synced = IndexAccess.openFolders(m, paths, index, docs);
        idx = synced.index();
        nothingRead = synced.nothingRead();
      } else {
        idx = IndexAccess.open(m, data.folder(), index, docs);
      }
      try (idx) {
        System.out.printf(Locale.ROOT, "Index %s holds %d %s (%s), ready in %.1f s%n", idx.location(), idx.size(),
            idx.holdsChunks() ? "chunks" : "documents", m.folder().modelId(), (System.nanoTime() - start) / 1e9);
        if (idx.isMerging()) {
          // At a million passages the merges' HNSW rebuilds can take as long again as the indexing.
          System.err.println("quarry: waiting for Lucene to merge segments (faster searches later); everything is committed,"
              + " so interrupting now loses nothing");
        }
      }
      return nothingRead ? 1 : 0;
    }
  }
}
