package dev.quarry.index;

import dev.quarry.QuarryException;
import dev.quarry.encode.EncodeOptions;
import dev.quarry.encode.SentenceTransformer;
import dev.quarry.model.ModelFingerprint;
import dev.quarry.search.RowMatrix;
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
    return docs -> model.encodeDocuments(docs.stream().map(e -> e.document().fullText()).toList(), options);
  }

  /**
   * Vectors computed elsewhere (by {@code quarry encode -o FILE.npy}, Spark, Python), row i for the
   * corpus file's i-th document. They must come from the model the index records.
   */
  public static CorpusSync.Encoder precomputed(RowMatrix vectors, Path file, int dimension) {
    if (vectors.dim() != dimension) {
      throw new QuarryException(file + " holds " + vectors.dim() + "-d vectors; the model makes " + dimension + "-d ones.");
    }
    return entries -> {
      float[][] out = new float[entries.size()][];
      for (int i = 0; i < out.length; i++) {
        long row = entries.get(i).ordinal();
        if (row >= vectors.rows()) {
          throw new QuarryException(file + " has " + vectors.rows() + " rows, but the corpus has more documents (line "
              + entries.get(i).line() + " is document " + (row + 1) + ").");
        }
        out[i] = vectors.row((int) row, new float[vectors.dim()]);
      }
      return out;
    };
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
