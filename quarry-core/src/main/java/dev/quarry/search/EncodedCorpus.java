package dev.quarry.search;

import dev.quarry.encode.EncodeOptions;
import dev.quarry.encode.SentenceTransformer;
import java.util.List;

/** Corpus embeddings, read from the cache when an earlier run encoded the same texts the same way. */
public final class EncodedCorpus {
  private EncodedCorpus() {}

  /** Encodes {@code texts} as documents (the model's document prompt unless options say otherwise). */
  public static float[][] encode(SentenceTransformer model, List<String> texts, EncodeOptions options, EmbeddingCache cache) {
    if (cache == null) {
      return model.encodeDocuments(texts, options);
    }
    String settings = "doc;prompt=" + options.prompt() + ";promptName=" + options.promptName()
        + ";max=" + options.maxLength() + ";norm=" + options.normalize() + ";dim=" + options.truncateDim();
    return cache.getOrCompute(EmbeddingCache.key(model.folder(), settings, texts), () -> model.encodeDocuments(texts, options));
  }
}
