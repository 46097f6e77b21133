package dev.quarry.index;

import dev.quarry.data.Corpus;
import dev.quarry.data.Document;
import dev.quarry.encode.EncodeOptions;
import dev.quarry.encode.SentenceTransformer;
import dev.quarry.model.ModelFingerprint;
import dev.quarry.search.EmbeddingCache;
import dev.quarry.search.EncodedCorpus;
import java.nio.file.Path;
import java.util.List;

/** Builds a {@link LuceneIndex} for a corpus with a model: encode (or read cached vectors), add, commit. */
public final class CorpusIndexer {
  private CorpusIndexer() {}

  /** The metadata a model's vectors get in an index. */
  public static IndexMetadata metadataOf(SentenceTransformer model) {
    return new IndexMetadata(model.folder().modelId(), ModelFingerprint.of(model.folder()), model.dimension(), model.similarityFunction(), model.folder().normalizes());
  }

  /** Indexes every document of {@code corpus} at {@code path}; existing ids are replaced. */
  public static LuceneIndex build(Path path, SentenceTransformer model, Corpus corpus, IndexSettings settings,
      EncodeOptions options, EmbeddingCache cache) {
    float[][] vectors = EncodedCorpus.encode(model, corpus.fullTexts(), options, cache);
    LuceneIndex index = LuceneIndex.open(path, metadataOf(model), settings);
    List<Document> docs = corpus.documents();
    index.upsert(docs, vectors);
    index.commit();
    return index;
  }
}
