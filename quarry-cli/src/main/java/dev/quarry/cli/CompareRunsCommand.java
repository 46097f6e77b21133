package dev.quarry.cli;

import dev.quarry.QuarryException;
import dev.quarry.train.TrainingLog;
import dev.quarry.train.TrainingPlot;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code quarry compare-runs}: several fine-tuning runs side by side, as a table and one PNG. */
@Command(name = "compare-runs", mixinStandardHelpOptions = true,
    description = "Compare fine-tuned model folders (their training_log.jsonl): best NDCG@10 and MRR@10, steps, training time, and one plot.")
final class CompareRunsCommand implements Callable<Integer> {
  @Parameters(paramLabel = "[NAME=]DIR", arity = "1..*", description = "Folders written by quarry train, optionally named for the legend.")
  List<String> runs;

  @Option(names = {"-o", "--output"}, paramLabel = "PNG", required = true, description = "Where the comparison plot goes.")
  Path output;

  @Option(names = "--title", description = "Plot title (default: ${DEFAULT-VALUE}).")
  String title = "Fine-tuning runs";

  @Override
  public Integer call() throws Exception {
    Map<String, TrainingLog> logs = new LinkedHashMap<>();
    for (String r : runs) {
      int eq = r.indexOf('=');
      Path dir = Path.of(eq > 0 ? r.substring(eq + 1) : r);
      Path file = dir.resolve("training_log.jsonl");
      if (!Files.isRegularFile(file)) {
        throw new QuarryException("No training log at " + file + ": give folders written by quarry train.");
      }
      logs.put(eq > 0 ? r.substring(0, eq) : dir.getFileName().toString(), TrainingLog.read(file));
    }
    System.out.printf(Locale.ROOT, "%-24s %7s %8s %10s %10s %10s %12s%n", "run", "steps", "epochs", "base", "best ndcg", "best mrr",
        "train time");
    for (Map.Entry<String, TrainingLog> e : logs.entrySet()) {
      TrainingLog log = e.getValue();
      TrainingLog.EvalRecord base = log.evals().stream().filter(r -> r.step() == 0).findFirst().orElse(null);
      TrainingLog.EvalRecord best = log.evals().stream().max((a, b) -> Double.compare(a.ndcg10(), b.ndcg10())).orElse(null);
      int epochs = log.steps().stream().mapToInt(TrainingLog.StepRecord::epoch).max().orElse(-1) + 1;
      double seconds = log.steps().stream().mapToDouble(TrainingLog.StepRecord::seconds).sum();
      System.out.printf(Locale.ROOT, "%-24s %7d %8d %10s %10s %10s %10.1f s%n", e.getKey(), log.steps().size(), epochs,
          base == null ? "-" : String.format(Locale.ROOT, "%.4f", base.ndcg10()),
          best == null ? "-" : String.format(Locale.ROOT, "%.4f", best.ndcg10()),
          best == null ? "-" : String.format(Locale.ROOT, "%.4f", best.metrics().getOrDefault("mrr@10", Double.NaN)), seconds);
    }
    TrainingPlot.compare(logs, output, title);
    System.out.println("\nWrote " + output);
    return 0;
  }
}
