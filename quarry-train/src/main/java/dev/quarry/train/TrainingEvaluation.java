package dev.quarry.train;

import dev.quarry.data.Corpus;
import dev.quarry.eval.InformationRetrievalEvaluator;
import dev.quarry.eval.IrResult;
import dev.quarry.search.ExactSearch;
import dev.quarry.search.Hit;
import dev.quarry.similarity.SimilarityFunction;
import dev.quarry.train.model.TrainableSentenceTransformer;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The InformationRetrievalEvaluator run on the model being trained (PyTorch weights, no ONNX
 * round trip): queries and corpus encoded with the model's own prompts, exact search by cosine and
 * dot product, the evaluator's metrics.
 */
public final class TrainingEvaluation {
  private final InformationRetrievalEvaluator evaluator;
  private final Corpus corpus;
  private final List<String> queryTexts;

  public TrainingEvaluation(InformationRetrievalEvaluator evaluator, Map<String, String> queries, Corpus corpus) {
    this.evaluator = evaluator;
    this.corpus = corpus;
    this.queryTexts = evaluator.queryIds().stream().map(queries::get).toList();
  }

  public InformationRetrievalEvaluator evaluator() {
    return evaluator;
  }

  public IrResult evaluate(TrainableSentenceTransformer model, int batchSize, TrainingListener listener) {
    String queryPrompt = model.folder().prompts().getOrDefault("query", "");
    String docPrompt = model.folder().prompts().getOrDefault("document", model.folder().prompts().getOrDefault("passage", ""));
    int total = queryTexts.size() + corpus.size();
    float[][] q = model.encode(queryTexts.stream().map(t -> queryPrompt + t).toList(), batchSize,
        (done, n) -> listener.onEvaluationProgress(done, total));
    float[][] docs = model.encode(corpus.fullTexts().stream().map(t -> docPrompt + t).toList(), batchSize,
        (done, n) -> listener.onEvaluationProgress(queryTexts.size() + done, total));
    float[] matrix = ExactSearch.flatten(docs);
    Map<String, Map<String, List<Hit>>> runs = new LinkedHashMap<>();
    for (SimilarityFunction fn : List.of(SimilarityFunction.COSINE, SimilarityFunction.DOT)) {
      List<List<Hit>> hits = new ExactSearch(matrix, docs[0].length, fn, i -> corpus.get(i).id())
          .search(q, evaluator.metrics().maxK());
      Map<String, List<Hit>> run = new LinkedHashMap<>();
      for (int i = 0; i < hits.size(); i++) {
        run.put(evaluator.queryIds().get(i), hits.get(i));
      }
      runs.put(fn.id(), run);
    }
    return evaluator.score(runs);
  }
}
