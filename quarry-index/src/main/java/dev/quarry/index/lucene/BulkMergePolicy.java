package dev.quarry.index.lucene;

import java.io.IOException;
import org.apache.lucene.index.FilterMergePolicy;
import org.apache.lucene.index.MergePolicy;
import org.apache.lucene.index.MergeTrigger;
import org.apache.lucene.index.SegmentInfos;

/**
 * Lucene's tiered merges, paused while a bulk load runs. Each background merge rebuilds an HNSW
 * graph, and during a bulk load the segments it merges are soon merged again; paused, the load
 * keeps both cores, and one final merge ({@link LuceneIndex#makeQueryReady}) builds the large graph
 * once, starting from the largest segment's graph. Forced merges are never paused.
 */
final class BulkMergePolicy extends FilterMergePolicy {
  private volatile boolean paused;

  BulkMergePolicy(MergePolicy tiered) {
    super(tiered);
  }

  void pause(boolean pause) {
    this.paused = pause;
  }

  boolean paused() {
    return paused;
  }

  @Override
  public MergeSpecification findMerges(MergeTrigger trigger, SegmentInfos infos, MergeContext context) throws IOException {
    return paused ? null : super.findMerges(trigger, infos, context);
  }

  @Override
  public MergeSpecification findFullFlushMerges(MergeTrigger trigger, SegmentInfos infos, MergeContext context) throws IOException {
    return paused ? null : super.findFullFlushMerges(trigger, infos, context);
  }
}
