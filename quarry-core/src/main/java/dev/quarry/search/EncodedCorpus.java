package dev.quarry.search;

import dev.quarry.encode.EncodeOptions;
import dev.quarry.encode.ProgressListener;
import dev.quarry.encode.SentenceTransformer;
import java.util.List;

/** Corpus embeddings, read from the cache when an earlier run encoded the same texts the same way. */
public final class EncodedCorpus {
  private EncodedCorpus() {}

  /** Texts encoded per step of {@link #encode}: bounds the heap while a large corpus is encoded. */
  static final int CHUNK = 8192;

  /**
   * Encodes {@code texts} as documents (the model's document prompt unless options say otherwise). With a
   * cache the matrix is read from it, or streamed to disk chunk by chunk; either way it is
   * returned memory-mapped (no heap for the vectors); without one, on the heap.
   */
  public static RowMatrix encode(SentenceTransformer model, List<String> texts, EncodeOptions options, EmbeddingCache cache) {
    if (cache == null) {
      float[][] rows = model.encodeDocuments(texts, options);
      return RowMatrix.of(ExactSearch.flatten(rows), rows.length == 0 ? model.dimension() : rows[0].length);
    }
    String settings = "doc;prompt=" + options.prompt() + ";promptName=" + options.promptName()
        + ";max=" + options.maxLength() + ";norm=" + options.normalize() + ";dim=" + options.truncateDim();
    ProgressListener progress = options.progress();
    return cache.getOrComputeMapped(EmbeddingCache.key(model.folder(), settings, texts), texts.size(), CHUNK, (from, to) ->
        model.encodeDocuments(texts.subList(from, to),
            options.withProgress((done, total) -> progress.onProgress(from + done, texts.size()))));
  }
}
