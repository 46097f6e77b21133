package dev.quarry.bench;

import dev.quarry.data.BeirDataset;
import dev.quarry.encode.RuntimeOptions;
import dev.quarry.eval.InformationRetrievalEvaluator;
import dev.quarry.eval.IrMetrics;
import dev.quarry.eval.IrReport;
import dev.quarry.model.CrossEncoderFolder;
import dev.quarry.rerank.CrossEncoder;
import dev.quarry.search.Hit;
import dev.quarry.search.Reranker;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;

/**
 * The rerank depth trade-off on a BEIR split: a first-stage run (a TREC file, e.g. what {@code
 * quarry eval --mode hybrid -o DIR} writes) reranked by a cross-encoder at depths 10 / 20 / 50 / 100,
 * NDCG@10 and Recall@100 at each depth, and the cross-encoder's time per query as a server meets it
 * (one query's pairs at a time), for the fp32 graph and, when given, another ONNX file (int8). Beside
 * each reranked run, the same top d fused with the first stage's order by reciprocal rank fusion
 * (k 60, no weights to tune): what the two stages give together when neither is trusted alone.
 *
 * <p>Scores come from one batched pass at the deepest depth: a pair's score does not depend on
 * the other pairs, so depth d is the first stage's top d ordered by those scores.
 *
 * <pre>
 * java -cp quarry-bench/target/quarry-bench.jar dev.quarry.bench.RerankDepthBenchmark \
 *     DATASET SPLIT RUN.trec RERANKER [TIMED_QUERIES [DEPTHS [ONNX_FILE]]]    (DEPTHS e.g. 10,20,50,100)
 * </pre>
 */
public final class RerankDepthBenchmark {
  private RerankDepthBenchmark() {}

  public static void main(String[] args) {
    Path dataset = Path.of(args[0]);
    BeirDataset data = BeirDataset.load(dataset, args[1], false);
    Map<String, List<Hit>> firstStage = IrReport.readRun(Path.of(args[2]));
    Path reranker = Path.of(args[3]);
    int timed = args.length > 4 ? Integer.parseInt(args[4]) : 20;
    int[] depths = Arrays.stream((args.length > 5 ? args[5] : "10,20,50,100").split(",")).mapToInt(Integer::parseInt).toArray();
    String variant = args.length > 6 ? args[6] : null;
    InformationRetrievalEvaluator evaluator = new InformationRetrievalEvaluator(data.queries().byId(), data.qrels(), IrMetrics.withRecallAt100(),
        "rerank-depth");
    firstStage.keySet().retainAll(evaluator.queryIds());
    Function<String, String> textOf = id -> {
      int i = data.corpus().indexOf(id);
      return i < 0 ? null : data.corpus().get(i).fullText();
    };
    Map<String, Double> first = evaluator.compute(firstStage);
    System.out.printf(Locale.ROOT, "%s (%s): %d queries; first stage %s: NDCG@10 %.4f, Recall@100 %.4f%n", dataset.getFileName(), args[1],
        firstStage.size(), args[2], first.get("ndcg@10"), first.getOrDefault("recall@100", Double.NaN));
    CrossEncoderFolder fp32 = CrossEncoderFolder.read(reranker, reranker.getFileName().toString());
    List<String> names = new ArrayList<>(List.of("fp32"));
    List<CrossEncoderFolder> folders = new ArrayList<>(List.of(fp32));
    if (variant != null) {
      names.add(variant);
      folders.add(fp32.withOnnxFile(variant));
    }
    List<String> queries = new ArrayList<>(firstStage.keySet());
    Map<String, double[]> ndcg = new LinkedHashMap<>();
    Map<String, double[]> fusedNdcg = new LinkedHashMap<>();
    Map<String, double[]> millis = new LinkedHashMap<>();
    for (int v = 0; v < folders.size(); v++) {
      try (CrossEncoder ce = CrossEncoder.load(folders.get(v), RuntimeOptions.defaults())) {
        long t0 = System.nanoTime();
        List<List<Hit>> scored = new Reranker(ce, depths[depths.length - 1]).rerankAll(
            queries.stream().map(q -> data.queries().byId().get(q)).toList(), queries.stream().map(firstStage::get).toList(), textOf);
        System.err.printf(Locale.ROOT, "%s: scored %d queries at depth %d in %.1f s%n", names.get(v), queries.size(),
            depths[depths.length - 1], (System.nanoTime() - t0) / 1e9);
        double[] n = new double[depths.length];
        double[] f = new double[depths.length];
        double[] ms = new double[depths.length];
        for (int d = 0; d < depths.length; d++) {
          Map<String, List<Hit>> reranked = atDepth(queries, firstStage, scored, depths[d]);
          n[d] = evaluator.compute(reranked).get("ndcg@10");
          f[d] = evaluator.compute(fusedWithFirstStage(firstStage, reranked, depths[d])).get("ndcg@10");
          ms[d] = timePerQuery(ce, depths[d], queries.subList(0, Math.min(timed, queries.size())), data, firstStage, textOf);
        }
        ndcg.put(names.get(v), n);
        fusedNdcg.put(names.get(v), f);
        millis.put(names.get(v), ms);
      }
    }
    StringBuilder header = new StringBuilder("| depth | pairs per query |");
    StringBuilder rule = new StringBuilder("|---:|---:|");
    for (String name : names) {
      header.append(" NDCG@10 ").append(name).append(" | ").append(name).append(" + RRF | ms per query ").append(name).append(" |");
      rule.append("---:|---:|---:|");
    }
    System.out.println();
    System.out.println(header);
    System.out.println(rule);
    System.out.printf(Locale.ROOT, "| first stage | 0 |%s%n", String.format(Locale.ROOT, " %.4f | %.4f | – |", first.get("ndcg@10"), first.get("ndcg@10")).repeat(names.size()));
    for (int d = 0; d < depths.length; d++) {
      StringBuilder row = new StringBuilder(String.format(Locale.ROOT, "| %d | %d |", depths[d], depths[d]));
      for (String name : names) {
        row.append(String.format(Locale.ROOT, " %.4f | %.4f | %.1f |", ndcg.get(name)[d], fusedNdcg.get(name)[d], millis.get(name)[d]));
      }
      System.out.println(row);
    }
    System.out.printf(Locale.ROOT, "%nms per query: the mean of %d queries reranked one at a time after a warm-up query; %d threads.%n",
        Math.min(timed, queries.size()), Runtime.getRuntime().availableProcessors());
  }

  /** The first stage's top {@code depth}, ordered by the cross-encoder's scores (ties: first-stage order). */
  static Map<String, List<Hit>> atDepth(List<String> queries, Map<String, List<Hit>> firstStage, List<List<Hit>> scored, int depth) {
    Map<String, List<Hit>> run = new LinkedHashMap<>();
    for (int i = 0; i < queries.size(); i++) {
      List<Hit> top = firstStage.get(queries.get(i));
      Map<String, Float> score = new LinkedHashMap<>();
      scored.get(i).forEach(h -> score.put(h.id(), h.score()));
      List<Hit> cut = new ArrayList<>();
      for (Hit h : top.subList(0, Math.min(depth, top.size()))) {
        cut.add(new Hit(h.id(), score.get(h.id())));
      }
      cut.sort(Comparator.comparingDouble((Hit h) -> -h.score())); // stable: ties keep the first stage's order
      run.put(queries.get(i), cut);
    }
    return run;
  }

  /** Each query's reranked top {@code depth} fused with the first stage's top {@code depth} (RRF, k 60; ties: the reranker's order). */
  static Map<String, List<Hit>> fusedWithFirstStage(Map<String, List<Hit>> firstStage, Map<String, List<Hit>> reranked, int depth) {
    Map<String, List<Hit>> run = new LinkedHashMap<>();
    reranked.forEach((q, hits) -> {
      List<Hit> top = firstStage.get(q);
      run.put(q, Reranker.fuse(hits, top.subList(0, Math.min(depth, top.size())))); // as --rerank-fusion rrf does
    });
    return run;
  }

  private static double timePerQuery(CrossEncoder ce, int depth, List<String> queries, BeirDataset data,
      Map<String, List<Hit>> firstStage, Function<String, String> textOf) {
    Reranker r = new Reranker(ce, depth);
    r.rerank(data.queries().byId().get(queries.get(0)), firstStage.get(queries.get(0)), textOf); // warm-up
    long t0 = System.nanoTime();
    for (String q : queries) {
      r.rerank(data.queries().byId().get(q), firstStage.get(q), textOf);
    }
    return (System.nanoTime() - t0) / 1e6 / queries.size();
  }
}
