package dev.quarry.index;

import dev.quarry.data.Document;
import dev.quarry.encode.EncodeOptions;
import dev.quarry.encode.SentenceTransformer;
import dev.quarry.model.ModelFingerprint;
import java.nio.file.Path;

/** What ties a model to an index: its metadata, and its encoder for {@link CorpusSync}. */
public final class CorpusIndexer {
  private CorpusIndexer() {}

  /** The metadata a model's vectors get in an index. */
  public static IndexMetadata metadataOf(SentenceTransformer model) {
    return new IndexMetadata(model.folder().modelId(), ModelFingerprint.of(model.folder()), model.dimension(), model.similarityFunction(), model.folder().normalizes());
  }

  /** The model's document encoding (its document prompt, length-sorted batches) as a sync's encoder. */
  public static CorpusSync.Encoder encoder(SentenceTransformer model, EncodeOptions options) {
    return docs -> model.encodeDocuments(docs.stream().map(Document::fullText).toList(), options);
  }

  /** Opens (or creates) the index at {@code path} for {@code model} and syncs it with {@code corpusFile}. */
  public static LuceneIndex openSynced(Path path, SentenceTransformer model, Path corpusFile, IndexSettings settings) {
    LuceneIndex index = LuceneIndex.open(path, metadataOf(model), settings);
    try {
      CorpusSync.sync(index, corpusFile, encoder(model, EncodeOptions.defaults()), CorpusSync.Options.defaults(), null);
      return index;
    } catch (RuntimeException e) {
      index.close();
      throw e;
    }
  }
}
