package dev.quarry.index;

import dev.quarry.QuarryException;

/**
 * HNSW and storage settings, with Lucene's defaults.
 *
 * @param maxConn HNSW graph degree M (Lucene's default 16)
 * @param beamWidth candidates kept while building the graph (Lucene's default 100)
 * @param int8 store vectors scalar-quantised to 8 bits (4x smaller, small recall cost)
 * @param efSearch candidates explored per query (at least k)
 * @param ramBufferMb indexing buffer; one writer thread flushes one segment per buffer-full, and
 *     fewer, larger segments mean fewer HNSW graphs to search (Lucene caps it near 2 GB)
 * @param maxSegmentMb largest segment a background merge may write. Merging segments rebuilds
 *     their HNSW graph, which is the dominant cost of indexing at size: with Lucene's 5 GB cap a 1M
 *     corpus kept two cores merging for longer than it took to add it. A few graphs of this size
 *     cost a search little.
 */
public record IndexSettings(int maxConn, int beamWidth, boolean int8, int efSearch, int ramBufferMb, int maxSegmentMb) {
  public static final int DEFAULT_MAX_CONN = 16;
  public static final int DEFAULT_BEAM_WIDTH = 100;
  public static final int DEFAULT_EF_SEARCH = 200;
  public static final int DEFAULT_RAM_BUFFER_MB = 256;
  public static final int DEFAULT_MAX_SEGMENT_MB = 1024;

  public IndexSettings(int maxConn, int beamWidth, boolean int8, int efSearch) {
    this(maxConn, beamWidth, int8, efSearch, DEFAULT_RAM_BUFFER_MB, DEFAULT_MAX_SEGMENT_MB);
  }

  public IndexSettings {
    if (maxConn <= 0 || maxConn > 512 || beamWidth <= 0 || beamWidth > 3200 || efSearch <= 0 || ramBufferMb <= 0 || ramBufferMb > 2000
        || maxSegmentMb <= 0) {
      throw new QuarryException("Invalid HNSW settings: M " + maxConn + " (1..512), beam width " + beamWidth
          + " (1..3200), efSearch " + efSearch + " (> 0), RAM buffer " + ramBufferMb + " MB (1..2000), largest merged segment "
          + maxSegmentMb + " MB (> 0).");
    }
  }

  public static IndexSettings defaults() {
    return new IndexSettings(DEFAULT_MAX_CONN, DEFAULT_BEAM_WIDTH, false, DEFAULT_EF_SEARCH);
  }
}
