package dev.quarry.train;

import dev.quarry.encode.RuntimeOptions;
import dev.quarry.eval.InformationRetrievalEvaluator;
import dev.quarry.eval.IrResult;
import dev.quarry.model.CrossEncoderFolder;
import dev.quarry.rerank.CrossEncoder;
import dev.quarry.search.Hit;
import dev.quarry.search.Reranker;
import dev.quarry.train.export.CrossEncoderWriter;
import dev.quarry.train.network.TrainableCrossEncoder;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * sentence-transformers' {@code CrossEncoderRerankingEvaluator} during training: each query's
 * first-stage candidates (retrieved once, before training) are re-scored with the current weights
 * and ranked again, and the IR metrics of that ranking are reported beside the first stage's. The
 * weights are exported and run by ONNX Runtime, the path {@code quarry rerank} will use.
 */
public final class RerankingEvaluation {
  /** The run names in the evaluator's result. */
  public static final String FIRST_STAGE = "first-stage";

  public static final String RERANKED = FIRST_STAGE + "+rerank";

  private final InformationRetrievalEvaluator evaluator;
  private final Map<String, List<Hit>> candidates;
  private final Function<String, String> textOf;
  private final int depth;

  /**
   * @param candidates each evaluated query's first-stage hits, best first
   * @param textOf a document's text (as the reranker sees it) by id
   * @param depth the candidates re-scored per query
   */
  public RerankingEvaluation(InformationRetrievalEvaluator evaluator, Map<String, List<Hit>> candidates, Function<String, String> textOf,
      int depth) {
    this.evaluator = evaluator;
    this.candidates = candidates;
    this.textOf = textOf;
    this.depth = depth;
  }

  /** The first stage's metrics over the same candidates. */
  public Map<String, Double> firstStage() {
    return evaluator.compute(candidates);
  }

  /** The reranked metrics of the model's current weights (exported to {@code scratch}). */
  public Map<String, Double> evaluate(TrainableCrossEncoder model, Path scratch) {
    try {
      CrossEncoderWriter.write(scratch, model.config(), model.encoder().snapshot(),
          new CrossEncoderWriter.Head(model.numLabels(), CrossEncoderFineTuning.ACTIVATION, model.maxLength(), model.tokenizerFile()),
          null);
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot export the cross-encoder for evaluation to " + scratch, e);
    }
    CrossEncoderFolder folder = CrossEncoderFolder.read(scratch, model.modelId() + " (training)");
    try (CrossEncoder ce = CrossEncoder.load(folder, RuntimeOptions.defaults())) {
      IrResult first = evaluator.score(Map.of(FIRST_STAGE, candidates));
      IrResult reranked = evaluator.withReranking(first, new Reranker(ce, depth), textOf);
      return new LinkedHashMap<>(reranked.metrics().get(RERANKED));
    }
  }
}
