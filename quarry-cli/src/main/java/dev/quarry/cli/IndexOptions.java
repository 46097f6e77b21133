package dev.quarry.cli;

import dev.quarry.index.CorpusSync;
import dev.quarry.index.IndexSettings;
import dev.quarry.model.ModelResolver;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** Where the Lucene index lives and how its HNSW graph is built. */
final class IndexOptions {
  @Option(names = "--index", paramLabel = "DIR",
      description = "Index folder (default: $QUARRY_HOME/indexes/<dataset>-<model>).")
  Path index;

  @Option(names = "--hnsw-m", description = "HNSW graph degree M (default: ${DEFAULT-VALUE}).")
  int maxConn = IndexSettings.DEFAULT_MAX_CONN;

  @Option(names = "--beam-width", description = "HNSW build beam width (default: ${DEFAULT-VALUE}).")
  int beamWidth = IndexSettings.DEFAULT_BEAM_WIDTH;

  @Option(names = "--ef-search", description = "HNSW candidates per query (default: ${DEFAULT-VALUE}).")
  int efSearch = IndexSettings.DEFAULT_EF_SEARCH;

  @Option(names = "--int8", description = "Store vectors scalar-quantised to int8.")
  boolean int8;

  @Option(names = "--vectors", paramLabel = "FILE.npy",
      description = "Index precomputed document vectors (float32 .npy, row i for the corpus's i-th document, made with this model) instead of encoding.")
  Path vectors;

  @Option(names = "--reindex", description = "Delete the index and build it again from the corpus.")
  boolean reindex;

  @Option(names = "--chunk-size", description = "Documents read, compared and encoded together while indexing (default: ${DEFAULT-VALUE}).")
  int chunkSize = CorpusSync.Options.defaults().chunkSize();

  @Option(names = "--commit-every", description = "Documents between durable commits while indexing; a killed run resumes from the last (default: ${DEFAULT-VALUE}).")
  int commitEvery = CorpusSync.Options.defaults().commitEvery();

  CorpusSync.Options syncOptions() {
    return new CorpusSync.Options(chunkSize, commitEvery);
  }

  IndexSettings settings() {
    return new IndexSettings(maxConn, beamWidth, int8, efSearch);
  }

  Path folder(Path dataset, String modelId) {
    if (index != null) {
      return index;
    }
    String name = dataset.toAbsolutePath().normalize().getFileName() + "-" + modelId.replace('/', '_') + (int8 ? "-int8" : "");
    return ModelResolver.defaults().cacheDir().resolve("indexes").resolve(name);
  }
}
