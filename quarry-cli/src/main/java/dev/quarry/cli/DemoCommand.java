package dev.quarry.cli;

import dev.quarry.data.BeirDataset;
import dev.quarry.encode.EncodeOptions;
import dev.quarry.encode.SentenceTransformer;
import dev.quarry.eval.InformationRetrievalEvaluator;
import dev.quarry.eval.IrMetrics;
import dev.quarry.eval.IrReport;
import dev.quarry.eval.IrResult;
import dev.quarry.index.PassageIndex;
import dev.quarry.index.SearchMode;
import dev.quarry.search.Searcher;
import dev.quarry.similarity.SimilarityFunction;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code quarry demo}: the main job. Evaluates the model (default: all-MiniLM-L6-v2) on the bundled
 * AI question-answering set with the reference model card's metrics, then answers one sample
 * question with its top passages.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
    description = "Evaluate the default model on the bundled AI QA set and answer a sample question.")
final class DemoCommand implements Callable<Integer> {
  @Mixin ModelOptions model;

  @Option(names = "--question", description = "The sample question (default: ${DEFAULT-VALUE}).")
  String question = "Why would you add a warm-up phase to the learning rate schedule?";

  @Override
  public Integer call() {
    BeirDataset ds = new DatasetOptions().load();
    IrMetrics defaults = IrMetrics.defaults();
    IrMetrics metrics = new IrMetrics(defaults.accuracyAtK(), List.of(1, 3, 5, 10), defaults.mrrAtK(), defaults.ndcgAtK(), defaults.mapAtK());
    InformationRetrievalEvaluator evaluator = new InformationRetrievalEvaluator(ds.queries().byId(), ds.qrels(), metrics,
        ds.dir().getFileName() + "-" + ds.split());
    try (SentenceTransformer m = model.load()) {
      EncodeOptions corpus = CorpusEncoding.withProgress(EncodeOptions.defaults(), ds.corpus().size(), "documents");
      IrResult r = evaluator.evaluate(m, ds.corpus(), new InformationRetrievalEvaluator.Settings(EncodeOptions.defaults(), corpus,
          List.of(SimilarityFunction.DOT, SimilarityFunction.COSINE), CorpusEncoding.cache()));
      System.out.printf(Locale.ROOT, "== %s on the bundled AI QA set (%s split): %d questions, %d passages ==%n%n",
          m.folder().modelId(), ds.split(), r.queryCount(), ds.corpus().size());
      System.out.print(IrReport.table(r));
      System.out.println();
      System.out.printf(Locale.ROOT, "Reference card metrics (dot): Accuracy@5 %.2f%%, Accuracy@10 %.2f%%, Precision@5 %.2f%%,"
              + " Recall@5 %.2f%%, MRR@10 %.4f%n%n", 100 * r.get("dot", "accuracy@5"), 100 * r.get("dot", "accuracy@10"),
          100 * r.get("dot", "precision@5"), 100 * r.get("dot", "recall@5"), r.get("dot", "mrr@10"));
      try (PassageIndex idx = IndexAccess.open(m, ds.dir(), new IndexOptions())) {
        SearchCommand.print(Searcher.of(m, idx.retriever(SearchMode.EXACT)), question, 5);
      }
    }
    return 0;
  }
}
