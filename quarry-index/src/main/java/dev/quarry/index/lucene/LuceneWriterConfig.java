package dev.quarry.index.lucene;

import static dev.quarry.index.PassageSchema.BM25_B;
import static dev.quarry.index.PassageSchema.BM25_K1;

import dev.quarry.index.IndexSettings;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.lucene.analysis.Analyzer;
import org.apache.lucene.codecs.KnnVectorsFormat;
import org.apache.lucene.codecs.lucene912.Lucene912Codec;
import org.apache.lucene.codecs.lucene99.Lucene99HnswScalarQuantizedVectorsFormat;
import org.apache.lucene.codecs.lucene99.Lucene99HnswVectorsFormat;
import org.apache.lucene.index.IndexWriterConfig;
import org.apache.lucene.index.TieredMergePolicy;
import org.apache.lucene.search.similarities.BM25Similarity;

/**
 * How a {@link LuceneIndex}'s writer is set up: BM25's parameters, the flush size, the merge policy
 * (background merges paused during a bulk load), the HNSW format and its merge workers.
 */
final class LuceneWriterConfig {
  private LuceneWriterConfig() {}

  /**
   * Threads that build merged HNSW graphs together, shared by every index of the process: they
   * only work while a merge runs, and daemon threads never keep a finished command alive.
   */
  static final ExecutorService MERGE_WORKERS = Executors.newCachedThreadPool(daemon("quarry-hnsw-merge"));

  static IndexWriterConfig of(Analyzer analyzer, IndexSettings settings, BulkMergePolicy merges, MergeProgress progress,
      java.util.function.BooleanSupplier drafting) {
    IndexWriterConfig config = new IndexWriterConfig(analyzer);
    config.setOpenMode(IndexWriterConfig.OpenMode.CREATE_OR_APPEND);
    config.setSimilarity(new BM25Similarity(BM25_K1, BM25_B));
    config.setRAMBufferSizeMB(settings.ramBufferMb());
    config.setMergePolicy(merges);
    config.setInfoStream(progress);
    KnnVectorsFormat format = new DraftGraphsFormat(vectorsFormat(settings), vectorsFormat(new IndexSettings(settings.maxConn(),
        DraftGraphsFormat.DRAFT_BEAM_WIDTH, false, settings.efSearch()).withQuantization(settings.quantization(), settings.oversample())),
        drafting);
    config.setCodec(new Lucene912Codec() {
      @Override
      public KnnVectorsFormat getKnnVectorsFormatForField(String field) {
        return format;
      }
    });
    return config;
  }

  /** Background merges as a live index wants them: segments up to {@link IndexSettings#maxSegmentMb()}. */
  static TieredMergePolicy tiered(IndexSettings settings) {
    TieredMergePolicy merges = new TieredMergePolicy();
    merges.setForceMergeDeletesPctAllowed(0); // expungeDeletes() leaves no deleted document behind
    merges.setMaxMergedSegmentMB(settings.maxSegmentMb());
    return merges;
  }

  /**
   * float32 HNSW, or Lucene's scalar-quantised HNSW (7 bits for int8; 4 bits packed two per byte
   * for int4), which keeps the float vectors beside the quantised ones for rescoring. With more
   * than one merge worker, a merge builds its graph on {@link #MERGE_WORKERS}, starting from the
   * largest merged segment's graph.
   */
  static KnnVectorsFormat vectorsFormat(IndexSettings s) {
    int workers = s.mergeWorkers();
    ExecutorService exec = workers > 1 ? MERGE_WORKERS : null;
    return switch (s.quantization()) {
      case NONE -> new Lucene99HnswVectorsFormat(s.maxConn(), s.beamWidth(), workers, exec);
      case INT8 -> new Lucene99HnswScalarQuantizedVectorsFormat(s.maxConn(), s.beamWidth(), workers, 7, false, null, exec);
      case INT4 -> new Lucene99HnswScalarQuantizedVectorsFormat(s.maxConn(), s.beamWidth(), workers, 4, true, null, exec);
    };
  }

  static java.util.concurrent.ThreadFactory daemon(String name) {
    AtomicInteger n = new AtomicInteger();
    return r -> {
      Thread t = new Thread(r, name + "-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    };
  }
}
