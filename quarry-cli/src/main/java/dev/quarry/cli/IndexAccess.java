package dev.quarry.cli;

import dev.quarry.FileTrees;
import dev.quarry.encode.EncodeOptions;
import dev.quarry.encode.SentenceTransformer;
import dev.quarry.encode.VectorsProvenance;
import dev.quarry.index.CorpusIndexer;
import dev.quarry.index.CorpusSync;
import dev.quarry.index.LuceneIndex;
import dev.quarry.index.PassageIndex;
import dev.quarry.search.RowMatrix;
import dev.quarry.solr.SolrIndex;
import dev.quarry.solr.SolrTarget;
import java.nio.file.Path;

/**
 * How every command reaches a corpus's index (a local Lucene folder, or a SolrCloud collection with
 * {@code --solr}): open it for the model (a different model is
 * refused), bring it up to date with corpus.jsonl (nothing read when unchanged; only new and
 * changed documents encoded; an interrupted build resumed), and say what changed.
 */
final class IndexAccess {
  private IndexAccess() {}

  /** The index of {@code dataset}'s corpus for {@code m}, synced, open. */
  /**
   * Vectors written by {@code quarry encode} carry their provenance beside them: another model, a
   * missing document prompt or a shorter length is refused. Vectors made elsewhere are taken on
   * their dimension alone, and the command says so.
   */
  static void checkProvenance(SentenceTransformer m, Path vectors) {
    java.util.Optional<VectorsProvenance> made = VectorsProvenance.read(vectors);
    if (made.isPresent()) {
      made.get().requireMatches(VectorsProvenance.forDocuments(m, made.get().rows()), vectors);
    } else {
      System.err.println("quarry: " + vectors + " has no " + VectorsProvenance.sidecar(vectors).getFileName() + " beside it (`quarry"
          + " encode` writes one): only its dimension can be checked against " + m.folder().modelId());
    }
  }

  static PassageIndex open(SentenceTransformer m, Path dataset, IndexOptions options) {
    SolrTarget solr = options.solrTarget(dataset, m.folder().modelId());
    Path folder = options.folder(dataset, m.folder().modelId());
    if (options.reindex) {
      if (solr != null) {
        SolrIndex.deleteCollection(solr);
      } else {
        FileTrees.delete(folder);
      }
    }
    PassageIndex index = solr != null ? SolrIndex.open(solr, CorpusIndexer.metadataOf(m), options.settings())
        : LuceneIndex.open(folder, CorpusIndexer.metadataOf(m), options.settings());
    try {
      Path corpus = dataset.resolve("corpus.jsonl");
      if (!CorpusSync.isUpToDate(index, corpus)) {
        ProgressBar bar = new ProgressBar(System.err, "KB");
        if (options.vectors != null) {
          checkProvenance(m, options.vectors);
        }
        CorpusSync.Encoder encoder = options.vectors != null
            ? CorpusIndexer.precomputed(RowMatrix.mapNpy(options.vectors), options.vectors, m.dimension())
            : CorpusIndexer.encoder(m, EncodeOptions.defaults());
        CorpusSync.Report r = CorpusSync.sync(index, corpus, encoder, options.syncOptions(), (p, done, total, committed) -> bar.onProgress((int) (done >> 10), (int) (total >> 10)));
        System.err.println("quarry: " + index.location() + ": " + r.summary());
      }
      return index;
    } catch (RuntimeException e) {
      index.close();
      throw e;
    }
  }
}
