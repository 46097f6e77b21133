package dev.quarry.cli;

import dev.quarry.index.CorpusSync;
import dev.quarry.index.IndexLocation;
import dev.quarry.index.IndexSettings;
import dev.quarry.index.lucene.LuceneIndex;
import dev.quarry.model.ModelResolver;
import dev.quarry.solr.SolrOptions;
import dev.quarry.solr.SolrTarget;
import java.nio.file.Path;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** Where the index lives (a Lucene folder, or a SolrCloud collection) and how its HNSW graph is built. */
final class IndexOptions {
  @Option(names = "--index", paramLabel = "DIR",
      description = "Index folder (default: $QUARRY_HOME/indexes/<dataset>-<model>).")
  Path index;

  @Mixin SolrOptions solr = new SolrOptions();

  @Option(names = "--hnsw-m", description = "HNSW graph degree M (default: ${DEFAULT-VALUE}).")
  int maxConn = IndexSettings.DEFAULT_MAX_CONN;

  @Option(names = "--beam-width", description = "HNSW build beam width (default: ${DEFAULT-VALUE}).")
  int beamWidth = IndexSettings.DEFAULT_BEAM_WIDTH;

  @Option(names = "--ef-search", description = "HNSW candidates per query (default: ${DEFAULT-VALUE}).")
  int efSearch = IndexSettings.DEFAULT_EF_SEARCH;

  @Option(names = "--int8", description = "Store the graph's vectors scalar-quantised to int8 (7 bits); searches rescore with the float vectors.")
  boolean int8;

  @Option(names = "--int4", description = "Store the graph's vectors quantised to 4 bits; searches rescore with the float vectors.")
  boolean int4;

  @Option(names = "--oversample", paramLabel = "X",
      description = "With --int8/--int4: candidates taken from the graph per result, rescored with the float vectors (default: ${DEFAULT-VALUE}).")
  float oversample = IndexSettings.DEFAULT_OVERSAMPLE;

  @Option(names = "--index-threads", paramLabel = "N",
      description = "Threads adding documents in a bulk load, each building its own graph (default: the cores, ${DEFAULT-VALUE}).")
  int indexThreads = Runtime.getRuntime().availableProcessors();

  @Option(names = "--merge-workers", paramLabel = "N",
      description = "Threads building the merged graph at the end of a bulk load (default: the cores, ${DEFAULT-VALUE}).")
  int mergeWorkers = Runtime.getRuntime().availableProcessors();

  @Option(names = "--vectors", paramLabel = "FILE.npy",
      description = "Index precomputed document vectors (float32 .npy, row i for the corpus's i-th document, made with this model) instead of encoding.")
  Path vectors;

  @Option(names = "--reindex", description = "Delete the index and build it again from the corpus.")
  boolean reindex;

  @Option(names = "--chunk-size", description = "Documents read, compared and encoded together while indexing (default: ${DEFAULT-VALUE}).")
  int chunkSize = CorpusSync.Options.defaults().chunkSize();

  @Option(names = "--commit-every", description = "Documents (for folders: chunks; default 4096) between durable commits while indexing; a killed run resumes from"
          + " the last (default: ${DEFAULT-VALUE}).")
  int commitEvery = CorpusSync.Options.defaults().commitEvery();

  CorpusSync.Options syncOptions() {
    return new CorpusSync.Options(chunkSize, commitEvery);
  }

  IndexSettings settings() {
    if (int8 && int4) {
      throw new dev.quarry.QuarryException("--int8 and --int4 exclude each other: pick one.");
    }
    IndexSettings.Quantization q = int4 ? IndexSettings.Quantization.INT4 : int8 ? IndexSettings.Quantization.INT8 : IndexSettings.Quantization.NONE;
    return new IndexSettings(maxConn, beamWidth, false, efSearch).withQuantization(q, oversample).withThreads(indexThreads, mergeWorkers);
  }

  /** The suffix that keeps a quantised index apart from the float one of the same corpus and model. */
  String quantizationSuffix() {
    return int4 ? "-int4" : int8 ? "-int8" : "";
  }

  /** Where the index lives: the Solr collection with {@code --solr}, else the local folder. */
  IndexLocation<?> location(Path dataset, String modelId) {
    SolrTarget solr = solrTarget(dataset, modelId);
    return solr != null ? solr : LuceneIndex.at(folder(dataset, modelId));
  }

  /** The Solr collection, when {@code --solr} is given (default name: <dataset>-<model>); null for a local index. */
  SolrTarget solrTarget(Path dataset, String modelId) {
    return solr.target((dataset.toAbsolutePath().normalize().getFileName() + "-" + modelId).replaceAll("[^A-Za-z0-9._-]", "_"));
  }

  Path folder(Path dataset, String modelId) {
    if (index != null) {
      return index;
    }
    String name = dataset.toAbsolutePath().normalize().getFileName() + "-" + modelId.replace('/', '_') + quantizationSuffix();
    return ModelResolver.defaults().cacheDir().resolve("indexes").resolve(name);
  }
}
