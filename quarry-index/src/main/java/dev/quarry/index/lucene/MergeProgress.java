package dev.quarry.index.lucene;

import dev.quarry.index.PassageIndex;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.lucene.util.InfoStream;

/**
 * How far a merge's HNSW graph build is, read from the messages Lucene's graph builders write to the
 * writer's info stream ("build graph from N vectors", each worker's "addVectors [a b)", "built n in
 * ...") while a listener is attached. Lucene has no other progress hook for a merge, and the graph
 * is where a large merge spends its time.
 */
final class MergeProgress extends InfoStream {
  private static final String HNSW = "HNSW";
  private static final Pattern TOTAL = Pattern.compile("build graph from (\\d+) vectors");
  private static final Pattern BATCH = Pattern.compile("addVectors \\[(\\d+) (\\d+)\\)");
  private static final Pattern BUILT = Pattern.compile("built (\\d+) in");

  private volatile PassageIndex.MergeListener listener;
  private long total = -1;
  private long done;

  /** Reports to {@code l} until {@link #detach()}. */
  synchronized void attach(PassageIndex.MergeListener l) {
    total = -1;
    done = 0;
    listener = l;
  }

  void detach() {
    listener = null;
  }

  @Override
  public boolean isEnabled(String component) {
    return listener != null && HNSW.equals(component);
  }

  @Override
  public synchronized void message(String component, String message) {
    PassageIndex.MergeListener l = listener;
    if (l == null || !HNSW.equals(component)) {
      return;
    }
    Matcher m;
    if ((m = TOTAL.matcher(message)).find()) {
      total = Long.parseLong(m.group(1));
      done = 0;
    } else if ((m = BATCH.matcher(message)).find()) {
      long start = Long.parseLong(m.group(1));
      long end = Long.parseLong(m.group(2));
      if (end - start < total) { // a worker's batch; a lone builder announces [0 total) once
        done = Math.max(done, start);
      }
    } else if ((m = BUILT.matcher(message)).find()) {
      done = Math.max(done, Long.parseLong(m.group(1)));
    } else {
      return;
    }
    if (total > 0) {
      l.onMerge("building the HNSW graph", Math.min(done, total), total);
    }
  }

  @Override
  public void close() {}
}
