package dev.quarry.index.lucene;

import static dev.quarry.index.PassageSchema.BM25_B;
import static dev.quarry.index.PassageSchema.BM25_K1;

import dev.quarry.index.IndexSettings;
import org.apache.lucene.analysis.Analyzer;
import org.apache.lucene.codecs.KnnVectorsFormat;
import org.apache.lucene.codecs.lucene912.Lucene912Codec;
import org.apache.lucene.codecs.lucene99.Lucene99HnswScalarQuantizedVectorsFormat;
import org.apache.lucene.codecs.lucene99.Lucene99HnswVectorsFormat;
import org.apache.lucene.index.IndexWriterConfig;
import org.apache.lucene.index.TieredMergePolicy;
import org.apache.lucene.search.similarities.BM25Similarity;

/** How a {@link LuceneIndex}'s writer is set up: BM25's parameters, the flush size, the merge policy and the HNSW format. */
final class LuceneWriterConfig {
  private LuceneWriterConfig() {}

  static IndexWriterConfig of(Analyzer analyzer, IndexSettings settings) {
    IndexWriterConfig config = new IndexWriterConfig(analyzer);
    config.setOpenMode(IndexWriterConfig.OpenMode.CREATE_OR_APPEND);
    config.setSimilarity(new BM25Similarity(BM25_K1, BM25_B));
    config.setRAMBufferSizeMB(settings.ramBufferMb());
    TieredMergePolicy merges = new TieredMergePolicy();
    merges.setForceMergeDeletesPctAllowed(0); // expungeDeletes() leaves no deleted document behind
    merges.setMaxMergedSegmentMB(settings.maxSegmentMb());
    config.setMergePolicy(merges);
    config.setCodec(new Lucene912Codec() {
      @Override
      public KnnVectorsFormat getKnnVectorsFormatForField(String field) {
        return settings.int8()
            ? new Lucene99HnswScalarQuantizedVectorsFormat(settings.maxConn(), settings.beamWidth())
            : new Lucene99HnswVectorsFormat(settings.maxConn(), settings.beamWidth());
      }
    });
    return config;
  }
}
