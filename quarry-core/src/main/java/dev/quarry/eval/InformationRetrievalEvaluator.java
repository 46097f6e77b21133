package dev.quarry.eval;

import dev.quarry.data.Corpus;
import dev.quarry.data.Qrels;
import dev.quarry.encode.EncodeOptions;
import dev.quarry.encode.SentenceTransformer;
import dev.quarry.search.EmbeddingCache;
import dev.quarry.search.EncodedCorpus;
import dev.quarry.search.ExactSearch;
import dev.quarry.search.Hit;
import dev.quarry.search.Reranker;
import dev.quarry.search.RowMatrix;
import dev.quarry.search.Searcher;
import dev.quarry.similarity.SimilarityFunction;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * sentence-transformers' {@code InformationRetrievalEvaluator}: encode queries and corpus, retrieve
 * the top documents per query by each score function, and average per-query ranking metrics over
 * the queries that have at least one relevant document (qrels grade &gt; 0).
 *
 * <p>Queries get the model's query prompt and documents its document prompt (as
 * {@code encode_query} / {@code encode_document} do) unless the settings' options name another.
 *
 * <p>Besides the sentence-transformers metrics it reports {@code ndcg_graded@k}, graded NDCG as
 * trec_eval computes it (equal to binary NDCG when all grades are 1, as in SciFact).
 */
public final class InformationRetrievalEvaluator {
  private final Map<String, String> queries;
  private final Qrels qrels;
  private final IrMetrics metrics;
  private final String name;
  private final List<String> queryIds;

  public InformationRetrievalEvaluator(Map<String, String> queries, Qrels qrels, IrMetrics metrics, String name) {
    this.queries = queries;
    this.qrels = qrels;
    this.metrics = metrics;
    this.name = name;
    List<String> ids = new ArrayList<>();
    for (String q : queries.keySet()) {
      if (!qrels.relevant(q).isEmpty()) {
        ids.add(q);
      }
    }
    this.queryIds = List.copyOf(ids);
  }

  /** Ids of the queries that count: those with a relevant document, in query-file order. */
  public List<String> queryIds() {
    return queryIds;
  }

  public IrMetrics metrics() {
    return metrics;
  }

  /** Settings of the encoding side of an evaluation. */
  public record Settings(EncodeOptions queryOptions, EncodeOptions corpusOptions,
      List<SimilarityFunction> scoreFunctions, EmbeddingCache cache) {}

  /** Encodes (or reads cached corpus vectors), searches exactly and scores. */
  public IrResult evaluate(SentenceTransformer model, Corpus corpus, Settings settings) {
    List<String> queryTexts = queryIds.stream().map(queries::get).toList();
    float[][] q = model.encodeQueries(queryTexts, settings.queryOptions());
    // With a cache the corpus vectors are memory-mapped from it, not held on the heap.
    RowMatrix matrix = EncodedCorpus.encode(model, corpus.fullTexts(), settings.corpusOptions(), settings.cache());
    Map<String, Map<String, List<Hit>>> runs = new LinkedHashMap<>();
    for (SimilarityFunction fn : settings.scoreFunctions()) {
      ExactSearch search = new ExactSearch(matrix, fn, i -> corpus.get(i).id());
      List<List<Hit>> hits = search.search(q, metrics.maxK());
      Map<String, List<Hit>> run = new LinkedHashMap<>();
      for (int i = 0; i < queryIds.size(); i++) {
        run.put(queryIds.get(i), hits.get(i));
      }
      runs.put(fn.id(), run);
    }
    return score(runs);
  }

  /**
   * Ranks the queries with {@code searcher} (an index's dense, BM25 or hybrid retrieval; reranked
   * when it has a reranker) and scores the run under the searcher's name.
   */
  public IrResult evaluate(Searcher searcher) {
    List<List<Hit>> hits = searcher.rank(queryIds.stream().map(queries::get).toList(), metrics.maxK());
    Map<String, List<Hit>> run = new LinkedHashMap<>();
    for (int i = 0; i < queryIds.size(); i++) {
      run.put(queryIds.get(i), hits.get(i));
    }
    return score(Map.of(searcher.name(), run));
  }

  /**
   * Each run of {@code firstStage} beside the same run reranked ({@code <run>+rerank}, or {@code
   * <run>+rerank-rrf} when the reranker fuses), scored alike,
   * as sentence-transformers' CrossEncoderRerankingEvaluator reports the base and reranked metrics.
   * Every query's candidates of a run go to the reranker in one call.
   *
   * @param textOf a document's text by id, or null if it has none
   */
  public IrResult withReranking(IrResult firstStage, Reranker reranker, Function<String, String> textOf) {
    Map<String, Map<String, List<Hit>>> runs = new LinkedHashMap<>();
    for (Map.Entry<String, Map<String, List<Hit>>> run : firstStage.runs().entrySet()) {
      runs.put(run.getKey(), run.getValue());
      List<String> ids = new ArrayList<>(run.getValue().keySet());
      List<List<Hit>> reranked = reranker.rerankAll(ids.stream().map(queries::get).toList(), ids.stream().map(run.getValue()::get).toList(),
          textOf);
      Map<String, List<Hit>> rr = new LinkedHashMap<>();
      for (int i = 0; i < ids.size(); i++) {
        rr.put(ids.get(i), reranked.get(i));
      }
      runs.put(run.getKey() + "+" + reranker.name(), rr);
    }
    return score(runs);
  }

  /** Scores ready-made runs (score function name → query id → ranked hits), from any retriever. */
  public IrResult score(Map<String, Map<String, List<Hit>>> runs) {
    Map<String, Map<String, Double>> all = new LinkedHashMap<>();
    runs.forEach((fn, run) -> all.put(fn, compute(run)));
    return new IrResult(name, queryIds.size(), all, runs);
  }

  /** Mean of each metric over the evaluated queries; a query missing from the run scores 0. */
  public Map<String, Double> compute(Map<String, List<Hit>> run) {
    Map<String, Double> sums = new LinkedHashMap<>();
    for (int k : metrics.accuracyAtK()) {
      sums.put("accuracy@" + k, 0.0);
    }
    for (int k : metrics.precisionRecallAtK()) {
      sums.put("precision@" + k, 0.0);
      sums.put("recall@" + k, 0.0);
    }
    for (int k : metrics.mrrAtK()) {
      sums.put("mrr@" + k, 0.0);
    }
    for (int k : metrics.ndcgAtK()) {
      sums.put("ndcg@" + k, 0.0);
    }
    for (int k : metrics.mapAtK()) {
      sums.put("map@" + k, 0.0);
    }
    for (int k : metrics.ndcgAtK()) {
      sums.put("ndcg_graded@" + k, 0.0);
    }
    for (String qid : queryIds) {
      List<String> ranked = run.getOrDefault(qid, List.of()).stream().map(Hit::id).toList();
      Set<String> rel = qrels.relevant(qid);
      Map<String, Integer> grades = qrels.judgements().get(qid);
      for (int k : metrics.accuracyAtK()) {
        sums.merge("accuracy@" + k, RankingMetrics.accuracy(ranked, rel, k), Double::sum);
      }
      for (int k : metrics.precisionRecallAtK()) {
        sums.merge("precision@" + k, RankingMetrics.precision(ranked, rel, k), Double::sum);
        sums.merge("recall@" + k, RankingMetrics.recall(ranked, rel, k), Double::sum);
      }
      for (int k : metrics.mrrAtK()) {
        sums.merge("mrr@" + k, RankingMetrics.reciprocalRank(ranked, rel, k), Double::sum);
      }
      for (int k : metrics.ndcgAtK()) {
        sums.merge("ndcg@" + k, RankingMetrics.ndcgBinary(ranked, rel, k), Double::sum);
        sums.merge("ndcg_graded@" + k, RankingMetrics.ndcgGraded(ranked, grades, k), Double::sum);
      }
      for (int k : metrics.mapAtK()) {
        sums.merge("map@" + k, RankingMetrics.averagePrecision(ranked, rel, k), Double::sum);
      }
    }
    int n = Math.max(1, queryIds.size());
    sums.replaceAll((k, v) -> v / n);
    return sums;
  }
}
