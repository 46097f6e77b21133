package dev.quarry.mine;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * What a mining run did, as sentence-transformers prints it: how many queries kept how many
 * negatives, how many candidates each filter removed, and the model's scores of positives and
 * negatives.
 *
 * @param negativesPerQuery number of negatives found → number of queries
 * @param skipped filter ("judged positive", "absolute margin 0.1", ...) → candidates it removed
 * @param droppedRows n-tuple rows left out for having fewer negatives than asked
 */
public record MiningReport(String source, MiningOptions options, int queries, Map<Integer, Integer> negativesPerQuery,
    Map<String, Integer> skipped, int rows, int droppedRows, float[] positiveScores, float[] negativeScores) {

  /** The report as text tables. */
  public String table() {
    StringBuilder sb = new StringBuilder();
    sb.append(String.format(Locale.ROOT, "Mined %d rows (%s) for %d queries from %s candidates.%n", rows,
        options.format().id(), queries, source));
    sb.append(String.format(Locale.ROOT, "%n%-10s %8s%n", "negatives", "queries"));
    negativesPerQuery.forEach((n, count) -> sb.append(String.format(Locale.ROOT, "%-10d %8d%n", n, count)));
    int full = negativesPerQuery.getOrDefault(options.numNegatives(), 0);
    if (full < queries) {
      sb.append(String.format(Locale.ROOT, "Could not find %d negatives for %d of %d queries (%.1f%%)%s.%n",
          options.numNegatives(), queries - full, queries, 100.0 * (queries - full) / Math.max(1, queries),
          droppedRows > 0 ? "; " + droppedRows + " n-tuple rows left out" : ""));
    }
    if (!skipped.isEmpty()) {
      sb.append(String.format(Locale.ROOT, "%n%-28s %10s%n", "candidates skipped by", "count"));
      skipped.forEach((why, count) -> sb.append(String.format(Locale.ROOT, "%-28s %10d%n", why, count)));
    }
    if (negativeScores.length > 0) {
      sb.append(String.format(Locale.ROOT, "%n%-7s %10s %10s %10s%n", "score", "positive", "negative", "difference"));
      float[] diff = new float[negativeScores.length];
      for (int i = 0; i < diff.length; i++) {
        diff[i] = positiveScores[i] - negativeScores[i];
      }
      float[][] cols = {positiveScores.clone(), negativeScores.clone(), diff};
      for (float[] c : cols) {
        Arrays.sort(c);
      }
      sb.append(String.format(Locale.ROOT, "%-7s %10d %10d %10s%n", "count", cols[0].length, cols[1].length, ""));
      row(sb, "mean", cols, c -> mean(c));
      row(sb, "min", cols, c -> c[0]);
      row(sb, "25%", cols, c -> c[(int) (0.25 * (c.length - 1))]);
      row(sb, "50%", cols, c -> c[(int) (0.5 * (c.length - 1))]);
      row(sb, "75%", cols, c -> c[(int) (0.75 * (c.length - 1))]);
      row(sb, "max", cols, c -> c[c.length - 1]);
    }
    return sb.toString();
  }

  private interface Stat {
    double of(float[] sorted);
  }

  private static void row(StringBuilder sb, String name, float[][] cols, Stat stat) {
    sb.append(String.format(Locale.ROOT, "%-7s %10.4f %10.4f %10.4f%n", name, stat.of(cols[0]), stat.of(cols[1]), stat.of(cols[2])));
  }

  private static double mean(float[] c) {
    double s = 0;
    for (float v : c) {
      s += v;
    }
    return s / c.length;
  }

  /** Collects the counts while mining. */
  static final class Builder {
    private final MiningOptions options;
    private final String source;
    private final Map<Integer, Integer> perQuery = new TreeMap<>();
    private final Map<String, Integer> skipped = new LinkedHashMap<>();
    private final List<float[]> pairs = new ArrayList<>();
    private int queries;
    private int droppedRows;

    Builder(MiningOptions options, String source) {
      this.options = options;
      this.source = source;
    }

    void skipped(String reason) {
      skipped.merge(reason, 1, Integer::sum);
    }

    void query(int negatives) {
      queries++;
      perQuery.merge(negatives, 1, Integer::sum);
    }

    void scores(float positive, float negative) {
      pairs.add(new float[] {positive, negative});
    }

    void droppedRow() {
      droppedRows++;
    }

    MiningReport build(int rows) {
      float[] pos = new float[pairs.size()];
      float[] neg = new float[pairs.size()];
      for (int i = 0; i < pos.length; i++) {
        pos[i] = pairs.get(i)[0];
        neg[i] = pairs.get(i)[1];
      }
      return new MiningReport(source, options, queries, perQuery, skipped, rows, droppedRows, pos, neg);
    }
  }
}
