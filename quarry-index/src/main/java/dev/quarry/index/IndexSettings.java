package dev.quarry.index;

import dev.quarry.QuarryException;

/**
 * HNSW, storage and build settings, with Lucene's defaults where Lucene has one.
 *
 * @param maxConn HNSW graph degree M (Lucene's default 16)
 * @param beamWidth candidates kept while building the graph (Lucene's default 100)
 * @param quantization how the graph's vectors are stored and compared; quantised indexes keep the
 *     float vectors too and rescore with them
 * @param efSearch candidates explored per query (at least k)
 * @param oversample for a quantised index: the graph is asked for {@code k × oversample} candidates
 *     (and at least efSearch are explored), which are then rescored with the float vectors
 * @param ramBufferMb indexing buffer; a full buffer flushes a segment, and fewer, larger segments
 *     mean fewer HNSW graphs to merge (Lucene caps it near 2 GB)
 * @param maxSegmentMb largest segment a background merge may write. Merging segments rebuilds
 *     their HNSW graph: background merges of a live index stay this small, and the one large merge
 *     happens where a user waits for it ({@code PassageIndex#makeQueryReady})
 * @param indexThreads threads that add a large batch of documents (each writes its own segment and
 *     graph); 1 keeps which document lands in which segment, and so the graphs, reproducible
 * @param mergeWorkers threads that build one merged HNSW graph together; 1 is reproducible
 * @param smallSegmentDocs segments below this many documents are cheap to search beside the large
 *     ones: {@code makeQueryReady} merges when more than one segment is larger, or there are more
 *     segments than a merge tier holds
 */
public record IndexSettings(int maxConn, int beamWidth, Quantization quantization, int efSearch, float oversample, int ramBufferMb,
    int maxSegmentMb, int indexThreads, int mergeWorkers, int smallSegmentDocs) {
  public static final int DEFAULT_MAX_CONN = 16;
  public static final int DEFAULT_BEAM_WIDTH = 100;
  public static final int DEFAULT_EF_SEARCH = 200;
  /**
   * Chosen by measurement at 1M vectors (README, "A million passages on one machine"): with 5
   * candidates per result int8 reaches the float graph's own recall at the same efSearch, and 10
   * add nothing.
   */
  public static final float DEFAULT_OVERSAMPLE = 5f;
  public static final int DEFAULT_RAM_BUFFER_MB = 256;
  public static final int DEFAULT_MAX_SEGMENT_MB = 1024;
  public static final int DEFAULT_SMALL_SEGMENT_DOCS = 20_000;

  /** How vectors are stored in the graph. */
  public enum Quantization {
    /** float32, as the model made them. */
    NONE,
    /** Lucene's scalar quantisation to 7 bits per dimension (4× smaller; "int8"). */
    INT8,
    /** 4 bits per dimension, two per byte (8× smaller). */
    INT4
  }

  public IndexSettings(int maxConn, int beamWidth, boolean int8, int efSearch) {
    this(maxConn, beamWidth, int8 ? Quantization.INT8 : Quantization.NONE, efSearch, DEFAULT_OVERSAMPLE, DEFAULT_RAM_BUFFER_MB,
        DEFAULT_MAX_SEGMENT_MB, 1, 1, DEFAULT_SMALL_SEGMENT_DOCS);
  }

  public IndexSettings {
    if (maxConn <= 0 || maxConn > 512 || beamWidth <= 0 || beamWidth > 3200 || efSearch <= 0 || ramBufferMb <= 0 || ramBufferMb > 2000
        || maxSegmentMb <= 0 || !(oversample >= 1f && oversample <= 100f) || indexThreads < 1 || indexThreads > 64 || mergeWorkers < 1
        || mergeWorkers > 64 || smallSegmentDocs < 1 || quantization == null) {
      throw new QuarryException("Invalid index settings: M " + maxConn + " (1..512), beam width " + beamWidth + " (1..3200), efSearch "
          + efSearch + " (> 0), oversample " + oversample + " (1..100), RAM buffer " + ramBufferMb + " MB (1..2000), largest merged segment "
          + maxSegmentMb + " MB (> 0), index threads " + indexThreads + " and merge workers " + mergeWorkers + " (1..64), small segment "
          + smallSegmentDocs + " documents (> 0), quantization " + quantization + ".");
    }
  }

  public static IndexSettings defaults() {
    return new IndexSettings(DEFAULT_MAX_CONN, DEFAULT_BEAM_WIDTH, false, DEFAULT_EF_SEARCH);
  }

  /** Whether vectors are stored int8 (7-bit) in the graph. */
  public boolean int8() {
    return quantization == Quantization.INT8;
  }

  /** Whether the graph holds quantised vectors, so that searches rescore with the float ones. */
  public boolean quantized() {
    return quantization != Quantization.NONE;
  }

  public IndexSettings withQuantization(Quantization q, float oversampleFactor) {
    return new IndexSettings(maxConn, beamWidth, q, efSearch, oversampleFactor, ramBufferMb, maxSegmentMb, indexThreads, mergeWorkers,
        smallSegmentDocs);
  }

  public IndexSettings withEfSearch(int ef) {
    return new IndexSettings(maxConn, beamWidth, quantization, ef, oversample, ramBufferMb, maxSegmentMb, indexThreads, mergeWorkers,
        smallSegmentDocs);
  }

  /** Build parallelism: {@code indexThreads} adding documents, {@code mergeWorkers} building a merged graph. */
  public IndexSettings withThreads(int indexing, int merging) {
    return new IndexSettings(maxConn, beamWidth, quantization, efSearch, oversample, ramBufferMb, maxSegmentMb, indexing, merging,
        smallSegmentDocs);
  }

  public IndexSettings withBuffers(int ramMb, int maxSegMb) {
    return new IndexSettings(maxConn, beamWidth, quantization, efSearch, oversample, ramMb, maxSegMb, indexThreads, mergeWorkers,
        smallSegmentDocs);
  }

  public IndexSettings withSmallSegmentDocs(int docs) {
    return new IndexSettings(maxConn, beamWidth, quantization, efSearch, oversample, ramBufferMb, maxSegmentMb, indexThreads, mergeWorkers,
        docs);
  }
}
