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
 *
 * <p>With {@link Fusion#RRF} the order is instead the reciprocal rank fusion of the cross-encoder's
 * ranks and the first stage's over the same candidates, and a hit's score is the fused one: for a
 * reranker that is not clearly better than its first stage (one trained on a small domain set), the
 * two rankings' agreement is worth more than either alone, and ranks need no calibration between a
 * logit and a BM25-plus-cosine score.
 */
public final class Reranker {
  /** Candidates re-scored per query unless told otherwise. */
  public static final int DEFAULT_DEPTH = 100;

  /** How the reranked order is drawn. */
  public enum Fusion {
    /** The cross-encoder's scores alone (sentence-transformers' rerank). */
    NONE("none"),
    /** Reciprocal rank fusion (k 60) of the cross-encoder's ranks with the first stage's. */
    RRF("rrf");

    private final String id;

    Fusion(String id) {
      this.id = id;
    }

    public String id() {
      return id;
    }

    /** The fusion named {@code id} ({@code none} or {@code rrf}), or an error naming the choices. */
    public static Fusion fromId(String id) {
      for (Fusion f : values()) {
        if (f.id.equalsIgnoreCase(id)) {
          return f;
        }
      }
      throw new QuarryException("Unknown rerank fusion '" + id + "': use none or rrf.");
    }
  }

  /** Scores (query, passage) pairs, higher is more relevant: a cross-encoder, or a server's shared batches of one. */
  @FunctionalInterface
  public interface PairScores {
    float[] score(List<TextPair> pairs);
  }

  private final CrossEncoder crossEncoder;
  private final PairScores scores;
  private final int depth;
  private final Fusion fusion;

  public Reranker(CrossEncoder crossEncoder, int depth) {
    this(crossEncoder, crossEncoder::predict, depth, Fusion.NONE);
  }

  private Reranker(CrossEncoder crossEncoder, PairScores scores, int depth, Fusion fusion) {
    if (depth <= 0) {
      throw new QuarryException("rerank depth must be positive, got " + depth);
    }
    this.crossEncoder = crossEncoder;
    this.scores = scores;
    this.depth = depth;
    this.fusion = fusion;
  }

  /** The same cross-encoder and depth, scoring through {@code scores} (which must apply its activation as predict does). */
  public Reranker scoringWith(PairScores scores) {
    return new Reranker(crossEncoder, scores, depth, fusion);
  }

  /** The same reranker, ordering its candidates by {@code fusion}. */
  public Reranker withFusion(Fusion fusion) {
    return new Reranker(crossEncoder, scores, depth, fusion);
  }

  public int depth() {
    return depth;
  }

  public Fusion fusion() {
    return fusion;
  }

  /** The stage's name in run names and reports: {@code rerank}, or {@code rerank-rrf} when fused. */
  public String name() {
    return fusion == Fusion.NONE ? "rerank" : "rerank-" + fusion.id();
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
    return rerankCandidates(queries, firstStage.stream().map(hits -> hits.subList(0, Math.min(depth, hits.size()))).toList(), textOf);
  }

  /**
   * Every candidate of each query (the first stage's best first) reranked, whatever this reranker's
   * depth (a request chose its own): ordered by the cross-encoder, or fused with the first stage.
   */
  public List<List<Hit>> rerankCandidates(List<String> queries, List<List<Hit>> candidates, Function<String, String> textOf) {
    List<List<Hit>> rescored = rescoreAll(queries, candidates, textOf);
    if (fusion == Fusion.NONE) {
      return rescored;
    }
    return IntStream.range(0, candidates.size()).mapToObj(q -> fuse(rescored.get(q), candidates.get(q))).toList();
  }

  /**
   * {@link Fusion#RRF}: the candidates (the first stage's order) fused with the same candidates in
   * the cross-encoder's order ({@code reranked}), k 60. Its list goes first, so a tie keeps its order.
   */
  public static List<Hit> fuse(List<Hit> reranked, List<Hit> candidates) {
    return ReciprocalRankFusion.fuse(List.of(reranked, candidates), ReciprocalRankFusion.DEFAULT_K, candidates.size());
  }

  /**
   * Every candidate of each query re-scored by the cross-encoder and ordered by its scores alone,
   * whatever this reranker's depth or fusion (the miner measures margins in these scores).
   */
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
