package dev.quarry.mine;

import dev.quarry.QuarryException;
import dev.quarry.data.BeirDataset;
import dev.quarry.data.Corpus;
import dev.quarry.data.Document;
import dev.quarry.encode.EncodeOptions;
import dev.quarry.encode.ProgressListener;
import dev.quarry.encode.SentenceTransformer;
import dev.quarry.search.EmbeddingCache;
import dev.quarry.search.EncodedCorpus;
import dev.quarry.search.ExactSearch;
import dev.quarry.search.Hit;
import dev.quarry.search.Reranker;
import dev.quarry.search.Retriever;
import dev.quarry.search.RowMatrix;
import dev.quarry.search.Searcher;
import dev.quarry.similarity.SimilarityFunction;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.IntStream;

/**
 * sentence-transformers' {@code mine_hard_negatives} over a BEIR split. For each query: retrieve
 * candidates from {@code source} (its own ranking: the model's scores for exact search, BM25's for
 * keywords), drop every judged positive of the query, score the rest with the model (or with the
 * source's rerank stage, a cross-encoder), drop those within the margin of the query's hardest
 * positive or outside the score bounds, keep ranks [rangeMin, rangeMax) of the survivors, and take
 * the first (or a random sample of) numNegatives.
 *
 * <p>The margins are measured with the model's similarity even when BM25 picks the candidates: the
 * margin guards against unjudged positives, and only a semantic score says how close a candidate
 * is to the positive. A cross-encoder, reading query and passage together, says it better still.
 */
public final class HardNegativeMiner {
  private final Corpus corpus;
  private final RowMatrix vectors;
  private final SimilarityFunction similarity;

  /** A query to mine for: its text, embedding and judged positives (document ids). */
  public record Query(String id, String text, float[] vector, List<String> positiveIds) {
    public Query withVector(float[] v) {
      return new Query(id, text, v, positiveIds);
    }
  }

  /** The rows and what happened on the way. */
  public record Result(List<MinedRow> rows, MiningReport report) {}

  /**
   * What mining a dataset with a model needs, encoded once: the miner (scoring with the model), the
   * split's queries with their embeddings, and the model's exact search over the corpus (the
   * default candidate source; an index's BM25 or hybrid retriever can replace it).
   */
  public record Setup(HardNegativeMiner miner, List<Query> queries, Searcher exact) {
    public Result mine(MiningOptions options) {
      return miner.mine(queries, exact, options);
    }
  }

  /**
   * Encodes {@code data}'s corpus (as documents; through {@code cache} when given, shared with
   * evaluation) and its split's queries (as queries) with {@code model}.
   */
  public static Setup prepare(SentenceTransformer model, BeirDataset data, EncodeOptions options, EmbeddingCache cache) {
    Corpus corpus = data.corpus();
    RowMatrix vectors = EncodedCorpus.encode(model, corpus.fullTexts(), options, cache);
    List<Query> unencoded = queriesOf(data);
    float[][] qv = model.encodeQueries(unencoded.stream().map(Query::text).toList(), options.withProgress(ProgressListener.NONE));
    List<Query> queries = IntStream.range(0, qv.length).mapToObj(i -> unencoded.get(i).withVector(qv[i])).toList();
    Retriever exact = new ExactSearch(vectors, model.similarityFunction(), i -> corpus.get(i).id())
        .asRetriever(id -> corpus.contains(id) ? corpus.get(corpus.indexOf(id)) : null);
    return new Setup(new HardNegativeMiner(corpus, vectors, model.similarityFunction()), queries, Searcher.of(model, exact));
  }

  /**
   * @param vectors the model's embeddings of the corpus, row i for document i
   * @param similarity the model's similarity (what the margins are measured in)
   */
  public HardNegativeMiner(Corpus corpus, RowMatrix vectors, SimilarityFunction similarity) {
    if (vectors.rows() != corpus.size()) {
      throw new QuarryException("The corpus has " + corpus.size() + " documents but " + vectors.rows() + " embeddings.");
    }
    this.corpus = corpus;
    this.vectors = vectors;
    this.similarity = similarity;
  }

  /**
   * The queries of {@code data}'s split that have a relevant judgement (grade above 0) of a corpus
   * document, each with all of them as positives, in qrels order; without vectors yet ({@link
   * Query#withVector}).
   */
  public static List<Query> queriesOf(BeirDataset data) {
    List<Query> out = new ArrayList<>();
    for (Map.Entry<String, Map<String, Integer>> q : data.qrels().judgements().entrySet()) {
      List<String> positives = q.getValue().entrySet().stream()
          .filter(e -> e.getValue() > 0 && data.corpus().contains(e.getKey())).map(Map.Entry::getKey).toList();
      String text = data.queries().get(q.getKey());
      if (!positives.isEmpty() && text != null) {
        out.add(new Query(q.getKey(), text, null, positives));
      }
    }
    return out;
  }

  /**
   * Mines with {@code source}'s first stage as the candidates (the queries' own vectors are used, not
   * re-encoded). When {@code source} has a rerank stage, its cross-encoder scores each query's
   * candidates and positives, as {@code mine_hard_negatives(cross_encoder=...)} does: the margins and
   * score bounds are then measured in the cross-encoder's scores, the candidates are ranked by them,
   * and the rows carry them. (sentence-transformers rescores only when a margin or {@code max_score}
   * is set; here a given cross-encoder always rescores, since asking for one and having it ignored
   * would surprise.)
   */
  public Result mine(List<Query> queries, Searcher source, MiningOptions options) {
    Reranker rerank = source.reranker();
    MiningReport.Builder report = new MiningReport.Builder(options,
        rerank == null ? source.retriever().name() : source.retriever().name() + " (scored by the cross-encoder "
            + rerank.crossEncoder().folder().modelId() + ")");
    List<MinedRow> rows = new ArrayList<>();
    float[] buffer = new float[vectors.dim()];
    for (int qi = 0; qi < queries.size(); qi++) {
      Query q = queries.get(qi);
      Set<String> positives = new HashSet<>(q.positiveIds());
      int rangeMax = options.effectiveRangeMax(positives.size());
      List<Hit> hits = source.firstStage(q.text(), q.vector(), rangeMax + positives.size());
      List<String> candidates = new ArrayList<>(hits.size());
      for (Hit h : hits) {
        if (positives.contains(h.id())) {
          report.skipped("judged positive");
        } else if (!corpus.contains(h.id())) {
          report.skipped("not in the corpus");
        } else {
          candidates.add(h.id());
        }
      }
      // Model scores are cheap: they are read candidate by candidate, only until rangeMax survive.
      // A cross-encoder's are computed for every candidate in one call, and rank them.
      Map<String, Float> scores = rerank == null ? null : crossEncoderScores(rerank, q, candidates);
      Map<String, Float> positiveScores = new TreeMap<>();
      float hardestPositive = Float.POSITIVE_INFINITY;
      for (String p : q.positiveIds()) {
        float s = scores == null ? score(q.vector(), p, buffer) : scores.get(p);
        positiveScores.put(p, s);
        hardestPositive = Math.min(hardestPositive, s);
      }
      List<String> ordered = candidates;
      if (scores != null) {
        ordered = new ArrayList<>(candidates);
        ordered.sort(Comparator.comparingDouble((String id) -> -scores.get(id))); // stable: ties keep the first stage's order
      }
      List<Candidate> survivors = new ArrayList<>();
      for (int rank = 0; rank < ordered.size() && survivors.size() < rangeMax; rank++) {
        String id = ordered.get(rank);
        float s = scores == null ? score(q.vector(), id, buffer) : scores.get(id);
        String reason = filteredBy(s, hardestPositive, options);
        if (reason != null) {
          report.skipped(reason);
          continue;
        }
        survivors.add(new Candidate(rank, id, s));
      }
      List<Candidate> picked = pick(survivors.subList(Math.min(options.rangeMin(), survivors.size()), survivors.size()),
          options, new Random(options.seed() * 1_000_003L + qi));
      report.query(picked.size());
      for (String p : q.positiveIds()) {
        addRows(rows, q, p, positiveScores.get(p), picked, options, report);
      }
    }
    return new Result(rows, report.build(rows.size()));
  }

  /** The cross-encoder's score of (query, document) for every candidate and every positive of {@code q}, in one call. */
  private Map<String, Float> crossEncoderScores(Reranker rerank, Query q, List<String> candidates) {
    List<Hit> pairs = new ArrayList<>(candidates.size() + q.positiveIds().size());
    candidates.forEach(id -> pairs.add(new Hit(id, 0f)));
    q.positiveIds().forEach(id -> pairs.add(new Hit(id, 0f)));
    Map<String, Float> out = new HashMap<>();
    for (Hit h : rerank.rescoreAll(List.of(q.text()), List.of(pairs), this::text).get(0)) {
      out.put(h.id(), h.score());
    }
    return out;
  }

  /** A surviving candidate: its rank (in the source's list, or by the cross-encoder's scores), id and score. */
  private record Candidate(int rank, String id, float score) {}

  /** Why a candidate with model score {@code s} is not a negative, or null if it is one. */
  static String filteredBy(float s, float hardestPositive, MiningOptions o) {
    if (o.absoluteMargin() != null && s + o.absoluteMargin() > hardestPositive) {
      return "absolute margin " + o.absoluteMargin();
    }
    // As sentence-transformers 6: the positive's score less |score| x margin, which stays below the
    // positive whatever its sign ((1 - margin) x score would lie above a negative score).
    if (o.relativeMargin() != null && s > hardestPositive - Math.abs(hardestPositive) * o.relativeMargin()) {
      return "relative margin " + o.relativeMargin();
    }
    if (o.maxScore() != null && s > o.maxScore()) {
      return "max score " + o.maxScore();
    }
    if (o.minScore() != null && s < o.minScore()) {
      return "min score " + o.minScore();
    }
    return null;
  }

  private static List<Candidate> pick(List<Candidate> survivors, MiningOptions o, Random random) {
    if (o.sampling() == MiningOptions.Sampling.TOP || survivors.size() <= o.numNegatives()) {
      return survivors.subList(0, Math.min(o.numNegatives(), survivors.size()));
    }
    List<Candidate> shuffled = new ArrayList<>(survivors);
    Collections.shuffle(shuffled, random);
    List<Candidate> sample = new ArrayList<>(shuffled.subList(0, o.numNegatives()));
    sample.sort(Comparator.comparingInt(Candidate::rank)); // hardest first, as the reference re-sorts
    return sample;
  }

  private void addRows(List<MinedRow> rows, Query q, String positiveId, float positiveScore, List<Candidate> negatives,
      MiningOptions o, MiningReport.Builder report) {
    String positive = corpus.get(corpus.indexOf(positiveId)).fullText();
    if (o.format() == MiningOptions.Format.N_TUPLE) {
      if (negatives.size() < o.numNegatives()) {
        report.droppedRow(); // every row of a training file needs the same number of negatives
        return;
      }
      rows.add(new MinedRow(q.id(), q.text(), positiveId, positive, positiveScore, negatives.stream().map(Candidate::id).toList(),
          negatives.stream().map(c -> text(c.id())).toList(), negatives.stream().map(Candidate::score).toList()));
    } else {
      for (Candidate c : negatives) {
        rows.add(new MinedRow(q.id(), q.text(), positiveId, positive, positiveScore, List.of(c.id()), List.of(text(c.id())),
            List.of(c.score())));
      }
    }
    negatives.forEach(c -> report.scores(positiveScore, c.score()));
  }

  private String text(String id) {
    Document d = corpus.get(corpus.indexOf(id));
    return d.fullText();
  }

  private float score(float[] query, String id, float[] buffer) {
    return similarity.score(query, vectors.row(corpus.indexOf(id), buffer));
  }
}
