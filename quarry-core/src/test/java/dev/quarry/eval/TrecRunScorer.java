package dev.quarry.eval;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A second, independent computation of NDCG@k, MRR@k and AP@k, written the way trec_eval works:
 * read a TREC run file and a qrels table, sort each query's lines by score, then score. It shares
 * no code with {@link RankingMetrics} or the evaluator, so agreement between the two is evidence.
 */
final class TrecRunScorer {
  record Line(String doc, double score) {}

  final Map<String, List<Line>> run = new HashMap<>();

  TrecRunScorer(Path runFile) throws IOException {
    for (String l : Files.readAllLines(runFile)) {
      String[] f = l.trim().split("\\s+");
      run.computeIfAbsent(f[0], k -> new ArrayList<>()).add(new Line(f[2], Double.parseDouble(f[4])));
    }
    run.values().forEach(ls -> ls.sort(Comparator.comparingDouble(Line::score).reversed()));
  }

  /** Mean over {@code qrels} queries (grade > 0 counts as relevant). */
  double mean(Map<String, Map<String, Integer>> qrels, String metric, int k) {
    double sum = 0;
    int n = 0;
    for (var e : qrels.entrySet()) {
      long relevantCount = e.getValue().values().stream().filter(g -> g > 0).count();
      if (relevantCount == 0) {
        continue;
      }
      n++;
      List<Line> lines = run.getOrDefault(e.getKey(), List.of());
      List<Line> top = lines.subList(0, Math.min(k, lines.size()));
      switch (metric) {
        case "ndcg" -> {
          double dcg = 0;
          for (int i = 0; i < top.size(); i++) {
            int g = e.getValue().getOrDefault(top.get(i).doc(), 0);
            dcg += g > 0 ? g / (Math.log(i + 2) / Math.log(2)) : 0;
          }
          List<Integer> ideal = e.getValue().values().stream().filter(g -> g > 0).sorted(Comparator.reverseOrder()).toList();
          double idcg = 0;
          for (int i = 0; i < Math.min(k, ideal.size()); i++) {
            idcg += ideal.get(i) / (Math.log(i + 2) / Math.log(2));
          }
          sum += dcg / idcg;
        }
        case "mrr" -> {
          for (int i = 0; i < top.size(); i++) {
            if (e.getValue().getOrDefault(top.get(i).doc(), 0) > 0) {
              sum += 1.0 / (i + 1);
              break;
            }
          }
        }
        case "ap" -> {
          int found = 0;
          double ap = 0;
          for (int i = 0; i < top.size(); i++) {
            if (e.getValue().getOrDefault(top.get(i).doc(), 0) > 0) {
              found++;
              ap += (double) found / (i + 1);
            }
          }
          sum += ap / Math.min(k, relevantCount);
        }
        default -> throw new IllegalArgumentException(metric);
      }
    }
    return sum / n;
  }
}
