package dev.quarry.cli;

import dev.quarry.encode.EncodeOptions;
import dev.quarry.model.ModelResolver;
import dev.quarry.search.EmbeddingCache;

/** What every command that encodes a corpus shares: the embedding cache and a progress bar. */
final class CorpusEncoding {
  /** Corpora smaller than this encode in a blink; no bar for them. */
  private static final int PROGRESS_FROM = 64;

  private CorpusEncoding() {}

  /** The corpus embedding cache under $QUARRY_HOME (default ~/.cache/quarry). */
  static EmbeddingCache cache() {
    return new EmbeddingCache(ModelResolver.defaults().cacheDir().resolve("embeddings"));
  }

  /** {@code options} with a progress bar on stderr when {@code count} texts are worth one. */
  static EncodeOptions withProgress(EncodeOptions options, int count, String unit) {
    return count > PROGRESS_FROM ? options.withProgress(new ProgressBar(System.err, unit)) : options;
  }
}
