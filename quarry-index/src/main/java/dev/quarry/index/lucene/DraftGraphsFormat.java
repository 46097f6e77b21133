package dev.quarry.index.lucene;

import java.io.IOException;
import java.util.function.BooleanSupplier;
import org.apache.lucene.codecs.KnnVectorsFormat;
import org.apache.lucene.codecs.KnnVectorsReader;
import org.apache.lucene.codecs.KnnVectorsWriter;
import org.apache.lucene.index.SegmentReadState;
import org.apache.lucene.index.SegmentWriteState;
import org.apache.lucene.store.IOContext;

/**
 * The index's HNSW format, with cheap "draft" graphs for the segments a bulk load flushes.
 *
 * <p>A bulk load ends in one merge whose graph starts from the largest segment's graph and inserts
 * every other vector again: the graphs of all other flushed segments are built only to be thrown
 * away. While {@code drafting} says so, flushed segments get a graph built with a small beam (the
 * same Lucene format and files, read by the same reader), which costs a fraction of a full one;
 * merges always build full graphs. The index then promises the final merge ({@link
 * LuceneIndex#makeQueryReady}), so draft graphs are never what a search walks for long, and keeps
 * drafts smaller than a full segment, so the merge never starts from a draft.
 */
final class DraftGraphsFormat extends KnnVectorsFormat {
  /** Beam width of a draft graph: still a connected, searchable graph (as wide as M), 6x cheaper than Lucene's 100. */
  static final int DRAFT_BEAM_WIDTH = 16;

  private final KnnVectorsFormat full;
  private final KnnVectorsFormat draft;
  private final BooleanSupplier drafting;

  DraftGraphsFormat(KnnVectorsFormat full, KnnVectorsFormat draft, BooleanSupplier drafting) {
    super(full.getName()); // the files are the full format's: its reader (by name) reads both
    this.full = full;
    this.draft = draft;
    this.drafting = drafting;
  }

  @Override
  public KnnVectorsWriter fieldsWriter(SegmentWriteState state) throws IOException {
    boolean merge = state.context.context == IOContext.Context.MERGE;
    return !merge && drafting.getAsBoolean() ? draft.fieldsWriter(state) : full.fieldsWriter(state);
  }

  @Override
  public KnnVectorsReader fieldsReader(SegmentReadState state) throws IOException {
    return full.fieldsReader(state);
  }

  @Override
  public int getMaxDimensions(String fieldName) {
    return full.getMaxDimensions(fieldName);
  }

  @Override
  public String toString() {
    return "DraftGraphs(" + full + ")";
  }
}
