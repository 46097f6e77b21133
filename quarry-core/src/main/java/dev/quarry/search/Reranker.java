package dev.quarry.search;

import dev.quarry.QuarryException;
import dev.quarry.rerank.CrossEncoder;
import dev.quarry.rerank.TextPair;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.function.Function;
import java.util.stream.IntStream;

/**
 * The second stage of retrieve-and-rerank: a cross-encoder re-scores the first stage's top {@code
 * depth} hits and orders them by its scores, as sentence-transformers' {@code
 * CrossEncoderRerankingEvaluator} does over a retriever's candidates. Only the re-scored hits are
 * returned, so no list mixes the two stages' scores.
 */
public final class Reranker {
  /** Candidates re-scored per query unless told otherwise. */
  public static final int DEFAULT_DEPTH = 100;

  /** Scores (query, passage) pairs, higher is more relevant: a cross-encoder, or a server's shared batches of one. */
  @FunctionalInterface
  public interface PairScores {
    float[] score(List<TextPair> pairs);
  }

  private final CrossEncoder crossEncoder;
  private final PairScores scores;
  private final int depth;

  public Reranker(CrossEncoder crossEncoder, int depth) {
    this(crossEncoder, crossEncoder::predict, depth);
  }

  private Reranker(CrossEncoder crossEncoder, PairScores scores, int depth) {
    if (depth <= 0) {
      throw new QuarryException("rerank depth must be positive, got " + depth);
    }
    this.crossEncoder = crossEncoder;
    this.scores = scores;
    this.depth = depth;
  }

  /** The same cross-encoder and depth, scoring through {@code scores} (which must apply its activation as predict does). */
  public Reranker scoringWith(PairScores scores) {
    return new Reranker(crossEncoder, scores, depth);
  }

  public int depth() {
    return depth;
  }

  public CrossEncoder crossEncoder() {
    return crossEncoder;
  }

  /** The top {@code depth} of {@code firstStage} (best first), re-scored and re-ordered; ties keep the first stage's order. */
  public List<Hit> rerank(String query, List<Hit> firstStage, Function<String, String> textOf) {
    return rerankAll(List.of(query), List.of(firstStage), textOf).get(0);
  }

  /**
   * Many queries at once: every (query, passage) pair goes to the cross-encoder in one call, so
   * its length-sorted batches fill across queries.
   */
  public List<List<Hit>> rerankAll(List<String> queries, List<List<Hit>> firstStage, Function<String, String> textOf) {
    return rescoreAll(queries, firstStage.stream().map(hits -> hits.subList(0, Math.min(depth, hits.size()))).toList(), textOf);
  }

  /** Every candidate of each query re-scored and re-ordered, whatever this reranker's depth (a request chose its own). */
  public List<List<Hit>> rescoreAll(List<String> queries, List<List<Hit>> candidates, Function<String, String> textOf) {
    List<TextPair> pairs = new ArrayList<>();
    for (int q = 0; q < queries.size(); q++) {
      for (Hit h : candidates.get(q)) {
        String text = textOf.apply(h.id());
        if (text == null) {
          throw new QuarryException("The first stage returned document '" + h.id() + "', whose text the reranker cannot find.");
        }
        pairs.add(new TextPair(queries.get(q), text));
      }
    }
    float[] scored = scores.score(pairs);
    List<List<Hit>> out = new ArrayList<>(queries.size());
    int offset = 0;
    for (List<Hit> top : candidates) {
      final int base = offset;
      List<Hit> rescored = IntStream.range(0, top.size()).mapToObj(i -> new Hit(top.get(i).id(), scored[base + i])).toList();
      List<Integer> order = new ArrayList<>(IntStream.range(0, top.size()).boxed().toList());
      order.sort(Comparator.comparingDouble((Integer i) -> -rescored.get(i).score()).thenComparingInt(i -> i));
      out.add(order.stream().map(rescored::get).toList());
      offset += top.size();
    }
    return out;
  }
}
