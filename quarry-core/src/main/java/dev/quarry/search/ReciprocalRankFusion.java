package dev.quarry.search;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reciprocal rank fusion (Cormack, Clarke and Büttcher, SIGIR 2009): each document scores
 * Σ 1 / (k + rank) over the ranked lists it appears in (ranks from 1). Only ranks matter, so
 * BM25 scores and cosine similarities need no calibration against each other.
 */
public final class ReciprocalRankFusion {
  /** The constant from the paper; larger k flattens the advantage of top ranks. */
  public static final int DEFAULT_K = 60;

  private ReciprocalRankFusion() {}

  /** Fuses ranked lists into one of at most {@code topK} hits; ties keep first-seen order. */
  public static List<Hit> fuse(List<List<Hit>> lists, int k, int topK) {
    Map<String, double[]> scores = new LinkedHashMap<>();
    for (List<Hit> list : lists) {
      for (int i = 0; i < list.size(); i++) {
        Hit h = list.get(i);
        scores.computeIfAbsent(h.id(), x -> new double[1])[0] += 1.0 / (k + i + 1);
      }
    }
    List<String> ids = new ArrayList<>(scores.keySet());
    // Stable sort: equal fused scores stay in first-seen order, so results are deterministic.
    ids.sort(Comparator.comparingDouble((String id) -> -scores.get(id)[0]));
    List<Hit> out = new ArrayList<>();
    for (String id : ids.subList(0, Math.min(topK, ids.size()))) {
      out.add(new Hit(id, (float) scores.get(id)[0]));
    }
    return out;
  }
}
