package dev.quarry.langchain4j;

import dev.langchain4j.data.segment.TextSegment;
import dev.langchain4j.model.output.Response;
import dev.langchain4j.model.scoring.ScoringModel;
import dev.quarry.rerank.CrossEncoder;
import dev.quarry.rerank.TextPair;
import java.util.ArrayList;
import java.util.List;

/**
 * A sentence-transformers cross-encoder as LangChain4j's {@link ScoringModel}, for its {@code
 * ReRankingContentAggregator}: each segment is scored against the query as {@code
 * CrossEncoder.predict} scores the pair (query, text), after the model's activation (Sigmoid for a
 * one-label reranker, so {@code minScore} thresholds lie in [0, 1]).
 *
 * <p>Thread-safe. {@link #load(String)} hands ownership to this object's {@link #close()}; {@link
 * #of(CrossEncoder)} leaves it with the caller.
 */
public final class QuarryScoringModel implements ScoringModel, AutoCloseable {
  private final CrossEncoder crossEncoder;
  private final boolean owned;

  private QuarryScoringModel(CrossEncoder crossEncoder, boolean owned) {
    this.crossEncoder = crossEncoder;
    this.owned = owned;
  }

  public static QuarryScoringModel of(CrossEncoder crossEncoder) {
    return new QuarryScoringModel(crossEncoder, false);
  }

  /** Loads a cross-encoder folder or hub id; {@link #close()} closes it. */
  public static QuarryScoringModel load(String model) {
    return new QuarryScoringModel(CrossEncoder.load(model), true);
  }

  public CrossEncoder crossEncoder() {
    return crossEncoder;
  }

  @Override
  public Response<List<Double>> scoreAll(List<TextSegment> segments, String query) {
    List<TextPair> pairs = new ArrayList<>(segments.size());
    for (TextSegment s : segments) {
      pairs.add(new TextPair(query, s.text()));
    }
    float[] scores = crossEncoder.predict(pairs);
    List<Double> out = new ArrayList<>(scores.length);
    for (float f : scores) {
      out.add((double) f);
    }
    return Response.from(out);
  }

  @Override
  public void close() {
    if (owned) {
      crossEncoder.close();
    }
  }
}
