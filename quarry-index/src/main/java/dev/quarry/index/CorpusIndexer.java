package dev.quarry.index;

import dev.quarry.QuarryException;
import dev.quarry.encode.EncodeOptions;
import dev.quarry.encode.SentenceTransformer;
import dev.quarry.encode.VectorsProvenance;
import dev.quarry.model.ModelFingerprint;
import dev.quarry.search.RowMatrix;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Indexes a corpus with a model: opens its index wherever it lives, rebuilds it on request, and
 * brings it up to date with {@code corpus.jsonl} (nothing read when unchanged; only new and changed
 * documents encoded; an interrupted build resumed). What {@code quarry index}, {@code search},
 * {@code eval}, {@code serve} and {@code mine} do before they search, as one library call.
 */
public final class CorpusIndexer {
  private CorpusIndexer() {}

  /**
   * How to build.
   *
   * @param settings HNSW and storage settings of a new index
   * @param sync chunking and commit interval of the sync
   * @param rebuild delete the index first and build it again from the corpus
   * @param vectors precomputed document vectors (float32 .npy, row i for the corpus's i-th
   *     document), or null to encode with the model
   * @param progress told after every chunk, or null
   * @param mergeProgress told how far the final merge is ({@link PassageIndex#makeQueryReady}), or null
   */
  public record Options(IndexSettings settings, CorpusSync.Options sync, boolean rebuild, Path vectors, CorpusSync.Listener progress,
      PassageIndex.MergeListener mergeProgress) {
    public static Options defaults() {
      return new Options(IndexSettings.defaults(), CorpusSync.Options.defaults(), false, null, null, null);
    }

    public Options withSettings(IndexSettings s) {
      return new Options(s, sync, rebuild, vectors, progress, mergeProgress);
    }

    public Options withProgress(CorpusSync.Listener p) {
      return new Options(settings, sync, rebuild, vectors, p, mergeProgress);
    }
  }

  /**
   * An open, synced index.
   *
   * @param sync what the sync did, or null when the corpus had not changed since the last one
   * @param warnings what the caller should tell the user (precomputed vectors that carry no provenance)
   */
  public record Opened<I extends PassageIndex>(I index, CorpusSync.Report sync, List<String> warnings) {}

  /**
   * Opens the index at {@code where} for {@code model}, syncs it with {@code corpusFile} and merges
   * what the sync left ({@link PassageIndex#makeQueryReady}), so it answers at full speed when this
   * returns; the caller closes it. A merge interrupted by an earlier run is done here.
   */
  public static <I extends PassageIndex> Opened<I> open(IndexLocation<I> where, SentenceTransformer model, Path corpusFile, Options options) {
    if (options.rebuild()) {
      where.delete();
    }
    I index = where.open(metadataOf(model), options.settings());
    try {
      if (CorpusSync.isUpToDate(index, corpusFile)) {
        index.makeQueryReady(options.mergeProgress());
        return new Opened<>(index, null, List.of());
      }
      List<String> warnings = new ArrayList<>();
      CorpusSync.Encoder encoder = options.vectors() == null ? encoder(model, EncodeOptions.defaults())
          : precomputedFor(model, options.vectors(), warnings);
      CorpusSync.Report report = CorpusSync.sync(index, corpusFile, encoder, options.sync(), options.progress());
      index.makeQueryReady(options.mergeProgress());
      return new Opened<>(index, report, List.copyOf(warnings));
    } catch (RuntimeException e) {
      index.close();
      throw e;
    }
  }

  /** As {@link #open}, with the defaults, for the index alone. */
  public static <I extends PassageIndex> I openSynced(IndexLocation<I> where, SentenceTransformer model, Path corpusFile,
      IndexSettings settings) {
    return open(where, model, corpusFile, Options.defaults().withSettings(settings)).index();
  }

  /** The metadata a model's vectors get in an index. */
  public static IndexMetadata metadataOf(SentenceTransformer model) {
    return new IndexMetadata(model.folder().modelId(), ModelFingerprint.of(model.folder()), model.dimension(), model.similarityFunction(),
        model.folder().normalizes());
  }

  /** The model's document encoding (its document prompt, length-sorted batches) as a sync's encoder. */
  public static CorpusSync.Encoder encoder(SentenceTransformer model, EncodeOptions options) {
    return docs -> model.encodeDocuments(docs.stream().map(e -> e.document().fullText()).toList(), options);
  }

  /**
   * Vectors written by {@code quarry encode} carry their provenance beside them: another model, a
   * missing document prompt or a shorter length is refused. Vectors made elsewhere are taken on
   * their dimension alone, and a warning says so.
   */
  static CorpusSync.Encoder precomputedFor(SentenceTransformer model, Path vectors, List<String> warnings) {
    Optional<VectorsProvenance> made = VectorsProvenance.read(vectors);
    if (made.isPresent()) {
      made.get().requireMatches(VectorsProvenance.forDocuments(model, made.get().rows()), vectors);
    } else {
      warnings.add(vectors + " has no " + VectorsProvenance.sidecar(vectors).getFileName() + " beside it (`quarry encode` writes one):"
          + " only its dimension can be checked against " + model.folder().modelId());
    }
    return precomputed(RowMatrix.mapNpy(vectors), vectors, model.dimension());
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
}
