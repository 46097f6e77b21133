package dev.quarry.search;

import dev.quarry.data.Document;
import dev.quarry.encode.EncodeOptions;
import dev.quarry.encode.SentenceTransformer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Query in, ranked passages out: the bi-encoder turns the query into a vector when the retriever
 * needs one, the retriever returns the first stage, and a {@link Reranker}, when there is one,
 * re-scores its top candidates. The command line, the server, evaluation over an index and
 * hard-negative mining all search through this, as Anserini's searchers sit under its thin CLI.
 * Grouping chunks into documents will be a stage here too.
 *
 * <p>Thread-safe when its parts are: the retriever and reranker may be shared by concurrent searches.
 */
public final class Searcher {
  /** Turns queries into vectors: the model's query encoding, or a server's shared micro-batches. */
  @FunctionalInterface
  public interface QueryEncoder {
    float[][] encode(List<String> queries);
  }

  private final QueryEncoder encoder;
  private final Retriever retriever;
  private final Reranker reranker;

  /**
   * @param reranker the second stage, or null for first-stage results only
   */
  public Searcher(QueryEncoder encoder, Retriever retriever, Reranker reranker) {
    this.encoder = encoder;
    this.retriever = retriever;
    this.reranker = reranker;
  }

  /** {@code model}'s query encoding (its query prompt) in front of {@code retriever}. */
  public static Searcher of(SentenceTransformer model, Retriever retriever) {
    return of(model, EncodeOptions.defaults(), retriever);
  }

  /** As {@link #of(SentenceTransformer, Retriever)}, encoding queries with {@code queryOptions} (a prompt, a batch size). */
  public static Searcher of(SentenceTransformer model, EncodeOptions queryOptions, Retriever retriever) {
    return new Searcher(queries -> model.encodeQueries(queries, queryOptions), retriever, null);
  }

  /** This searcher with {@code reranker} as its second stage (null: none). */
  public Searcher withReranker(Reranker reranker) {
    return new Searcher(encoder, retriever, reranker);
  }

  public Retriever retriever() {
    return retriever;
  }

  /** The second stage, or null. */
  public Reranker reranker() {
    return reranker;
  }

  /** A name for reports and run files: the retriever's, with "+rerank" (or "+rerank-rrf") when a reranker follows it. */
  public String name() {
    return retriever.name() + (reranker == null ? "" : "+" + reranker.name());
  }

  /** One passage of a result: the hit, its stored document, and where the first stage had it. */
  public record Ranked(Hit hit, Document document, int firstStageRank, float firstStageScore) {}

  /**
   * The answer to one query.
   *
   * @param reranked whether the hits are the reranker's
   * @param candidates how many first-stage hits the reranker re-scored (0 without reranking)
   */
  public record Result(String query, List<Ranked> hits, boolean reranked, int candidates) {}

  /** The top {@code k} for {@code query}, reranked to the reranker's depth when there is one. */
  public Result search(String query, int k) {
    return search(query, k, reranker == null ? 0 : reranker.depth());
  }

  /**
   * The top {@code k} for {@code query}, with their documents fetched in one trip. With {@code
   * rerankDepth} > 0 the first stage's top {@code rerankDepth} are re-scored (this searcher needs a
   * reranker then) and only those are returned, so no list mixes the two stages' scores.
   */
  public Result search(String query, int k, int rerankDepth) {
    return search(query, null, k, rerankDepth);
  }

  /** As {@link #search(String, int, int)}, with the query's embedding given (null: encode {@code query}). */
  public Result search(String query, float[] vector, int k, int rerankDepth) {
    boolean rerank = rerankDepth > 0;
    if (rerank && reranker == null) {
      throw new IllegalStateException("this searcher has no reranker");
    }
    List<Hit> first = firstStage(query, vector, rerank ? Math.max(k, rerankDepth) : k);
    List<Hit> top = rerank ? first.subList(0, Math.min(rerankDepth, first.size())) : first;
    Map<String, Document> docs = retriever.documents(ids(top));
    // A passage deleted between retrieval and fetch is dropped, not reranked as empty text.
    List<Hit> candidates = top.stream().filter(h -> docs.containsKey(h.id())).toList();
    List<Hit> ranked = rerank ? reranker.rerankCandidates(List.of(query), List.of(candidates), id -> textOf(docs, id)).get(0) : candidates;
    Map<String, Integer> firstRank = new HashMap<>();
    for (int i = 0; i < first.size(); i++) {
      firstRank.putIfAbsent(first.get(i).id(), i);
    }
    List<Ranked> out = new ArrayList<>(Math.min(k, ranked.size()));
    for (Hit h : ranked.subList(0, Math.min(k, ranked.size()))) {
      int r = firstRank.get(h.id());
      out.add(new Ranked(h, docs.get(h.id()), r + 1, first.get(r).score()));
    }
    return new Result(query, out, rerank, rerank ? candidates.size() : 0);
  }

  /**
   * The top {@code k} ids and scores of many queries, as evaluation needs them: the queries are
   * encoded together, and with a reranker every query's candidates go to it in one call, so its
   * length-sorted batches fill across queries. Over chunks grouped into documents the ids are the
   * documents' (what qrels name).
   */
  public List<List<Hit>> rank(List<String> queries, int k) {
    List<List<Hit>> ranked = rankPassages(queries, k);
    return retriever.groupsChunks() ? ranked.stream().map(DocumentGrouping::asDocuments).toList() : ranked;
  }

  private List<List<Hit>> rankPassages(List<String> queries, int k) {
    float[][] vectors = retriever.usesVectors() ? encoder.encode(queries) : null;
    int depth = reranker == null ? k : Math.max(k, reranker.depth());
    List<List<Hit>> first = new ArrayList<>(queries.size());
    for (int i = 0; i < queries.size(); i++) {
      first.add(retriever.search(queries.get(i), vectors == null ? null : vectors[i], depth));
    }
    if (reranker == null) {
      return first;
    }
    Set<String> needed = new LinkedHashSet<>();
    first.forEach(hits -> needed.addAll(ids(hits.subList(0, Math.min(reranker.depth(), hits.size())))));
    Map<String, Document> docs = retriever.documents(needed);
    List<List<Hit>> reranked = reranker.rerankAll(queries, first, id -> textOf(docs, id));
    return reranked.stream().map(hits -> hits.subList(0, Math.min(k, hits.size()))).toList();
  }

  /**
   * The first stage alone. {@code vector} is the query's embedding when the caller has it already
   * (a miner encodes its queries in one pass); null encodes the query if the retriever needs it.
   */
  public List<Hit> firstStage(String query, float[] vector, int k) {
    float[] v = !retriever.usesVectors() ? null : vector != null ? vector : encoder.encode(List.of(query))[0];
    return retriever.search(query, v, k);
  }

  private static List<String> ids(List<Hit> hits) {
    return hits.stream().map(Hit::id).toList();
  }

  private static String textOf(Map<String, Document> docs, String id) {
    Document d = docs.get(id);
    return d == null ? null : d.fullText();
  }
}
