package dev.quarry.eval;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.quarry.QuarryException;
import dev.quarry.io.Json;
import dev.quarry.search.Hit;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.Writer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Renders an {@link IrResult}: a metric table like a sentence-transformers model card, the CSV
 * sentence-transformers writes ({@code Information-Retrieval_evaluation_<name>_results.csv}, same
 * column names), JSON with its metric keys ({@code cosine_ndcg@10}), and TREC run files.
 */
public final class IrReport {
  private IrReport() {}

  /** A Markdown table, one column per score function, rows in sentence-transformers' order. */
  public static String table(IrResult r) {
    List<String> fns = new ArrayList<>(r.metrics().keySet());
    StringBuilder sb = new StringBuilder();
    sb.append("| Metric ");
    fns.forEach(f -> sb.append("| ").append(f).append(' '));
    sb.append("|\n|:--");
    fns.forEach(f -> sb.append("|--:"));
    sb.append("|\n");
    for (String metric : r.metrics().get(fns.get(0)).keySet()) {
      sb.append("| ").append(metricLabel(metric)).append(' ');
      for (String f : fns) {
        sb.append("| ").append(String.format(Locale.ROOT, "%.4f", r.metrics().get(f).get(metric))).append(' ');
      }
      sb.append("|\n");
    }
    return sb.toString();
  }

  /** "accuracy@5" → "Accuracy@5", as the model card and the CSV spell them. */
  static String metricLabel(String metric) {
    int at = metric.indexOf('@');
    String base = metric.substring(0, at);
    String label = switch (base) {
      case "accuracy" -> "Accuracy";
      case "precision" -> "Precision";
      case "recall" -> "Recall";
      case "mrr" -> "MRR";
      case "ndcg" -> "NDCG";
      case "map" -> "MAP";
      case "ndcg_graded" -> "NDCG(graded)";
      default -> base;
    };
    return label + metric.substring(at);
  }

  /** sentence-transformers' CSV: epoch, steps, then {fn}-{Metric}@{k} columns. */
  public static void writeCsv(IrResult r, Path file, int epoch, int steps) {
    StringBuilder header = new StringBuilder("epoch,steps");
    StringBuilder row = new StringBuilder(epoch + "," + steps);
    r.metrics().forEach((fn, m) -> m.forEach((metric, v) -> {
      if (metric.startsWith("ndcg_graded")) {
        return;
      }
      header.append(',').append(fn).append('-').append(metricLabel(metric));
      row.append(',').append(v);
    }));
    try {
      Files.createDirectories(file.toAbsolutePath().getParent());
      boolean exists = Files.exists(file);
      try (Writer w = Files.newBufferedWriter(file, exists ? StandardOpenOption.APPEND
          : StandardOpenOption.CREATE)) {
        if (!exists) {
          w.write(header + "\n");
        }
        w.write(row + "\n");
      }
    } catch (IOException e) {
      throw new QuarryException("Cannot write " + file + ": " + e.getMessage(), e);
    }
  }

  /** JSON: {"name", "queries", "metrics": {"cosine_ndcg@10": ...}}. */
  public static String json(IrResult r) {
    ObjectNode root = Json.object();
    root.put("name", r.name());
    root.put("queries", r.queryCount());
    ObjectNode m = root.putObject("metrics");
    r.metrics().forEach((fn, values) -> values.forEach((k, v) -> m.put(fn + "_" + k, v)));
    try {
      return Json.prettyWriter().writeValueAsString(root);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /** TREC run format, one line per hit: {@code qid Q0 docid rank score tag} (ranks from 1). */
  public static void writeRun(Map<String, List<Hit>> run, String tag, Path file) {
    try (Writer w = Files.newBufferedWriter(file)) {
      for (Map.Entry<String, List<Hit>> e : run.entrySet()) {
        int rank = 1;
        for (Hit h : e.getValue()) {
          w.write(e.getKey() + " Q0 " + h.id() + " " + rank++ + " " + String.format(Locale.ROOT, "%.6f", h.score()) + " " + tag + "\n");
        }
      }
    } catch (IOException e) {
      throw new QuarryException("Cannot write run file " + file + ": " + e.getMessage(), e);
    }
  }

  /**
   * Reads a TREC run file ({@code qid Q0 docid rank score tag}, as {@link #writeRun} writes it):
   * each query's hits in file order, which must be best first. A malformed line is refused with
   * the file and line.
   */
  public static Map<String, List<Hit>> readRun(Path file) {
    Map<String, List<Hit>> run = new LinkedHashMap<>();
    try (BufferedReader r = Files.newBufferedReader(file)) {
      String line;
      int n = 0;
      while ((line = r.readLine()) != null) {
        n++;
        if (line.isBlank()) {
          continue;
        }
        String[] f = line.trim().split("\\s+");
        double score;
        try {
          score = f.length == 6 ? Double.parseDouble(f[4]) : Double.NaN;
        } catch (NumberFormatException e) {
          score = Double.NaN;
        }
        if (Double.isNaN(score)) {
          throw new QuarryException(file + ":" + n + ": expected 'qid Q0 docid rank score tag', found '" + line + "'.");
        }
        run.computeIfAbsent(f[0], q -> new ArrayList<>()).add(new Hit(f[2], (float) score));
      }
    } catch (IOException e) {
      throw new QuarryException("Cannot read run file " + file + ": " + e.getMessage(), e);
    }
    return run;
  }
}
