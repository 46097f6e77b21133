package dev.quarry.cli;

import dev.quarry.data.Document;
import dev.quarry.encode.EncodeOptions;
import dev.quarry.encode.SentenceTransformer;
import dev.quarry.index.PassageIndex;
import dev.quarry.index.SearchMode;
import dev.quarry.search.Hit;
import dev.quarry.search.Reranker;
import dev.quarry.search.Retriever;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code quarry search}: the top passages of a corpus for a question. */
@Command(name = "search", mixinStandardHelpOptions = true, description = "Search a BEIR corpus with a question.")
final class SearchCommand implements Callable<Integer> {
  @Mixin ModelOptions model;
  @Mixin DatasetOptions data;
  @Mixin IndexOptions index;
  @Mixin RerankOptions rerank;

  @Option(names = "--mode", description = "Retrieval over the index: exact (default: every vector scored), dense (HNSW), bm25 or hybrid.")
  String mode = "exact";

  @Parameters(paramLabel = "QUESTION", description = "The question.")
  String question;

  @Option(names = {"-k", "--top-k"}, description = "Passages to show (default: ${DEFAULT-VALUE}).")
  int k = 5;

  @Override
  public Integer call() {
    Reranker reranker = rerank.open();
    try (SentenceTransformer m = model.load(); PassageIndex idx = IndexAccess.open(m, data.folder(), index)) {
      if (reranker == null) {
        print(m, idx.retriever(SearchMode.fromId(mode)), question, k);
      } else {
        printReranked(m, idx.retriever(SearchMode.fromId(mode)), reranker, question, k);
      }
    } finally {
      if (reranker != null) {
        reranker.crossEncoder().close();
      }
    }
    return 0;
  }

  /** The first stage's top {@code depth}, reranked; each line shows both scores. */
  static void printReranked(SentenceTransformer m, Retriever retriever, Reranker reranker, String question, int k) {
    float[] vector = retriever.usesVectors() ? m.encodeQueries(List.of(question), EncodeOptions.defaults())[0] : null;
    List<Hit> first = retriever.search(question, vector, Math.max(k, reranker.depth()));
    java.util.Map<String, Integer> firstRank = new java.util.HashMap<>();
    java.util.Map<String, Float> firstScore = new java.util.HashMap<>();
    for (int i = 0; i < first.size(); i++) {
      firstRank.put(first.get(i).id(), i + 1);
      firstScore.put(first.get(i).id(), first.get(i).score());
    }
    List<Hit> reranked = reranker.rerank(question, first, id -> {
      Document d = retriever.document(id);
      return d == null ? null : d.fullText();
    });
    System.out.println("Q: " + question + "   (" + retriever.name() + " top " + Math.min(first.size(), reranker.depth())
        + ", reranked by " + reranker.crossEncoder().folder().modelId() + ")");
    int rank = 1;
    for (Hit h : reranked.subList(0, Math.min(k, reranked.size()))) {
      Document d = retriever.document(h.id());
      System.out.printf(Locale.ROOT, "%2d. [rerank %.4f | %s %.4f, was #%d] %s  (%s)%n      %s%n", rank++, h.score(), retriever.name(),
          firstScore.get(h.id()), firstRank.get(h.id()), d.title().isEmpty() ? "(untitled)" : d.title(), d.id(), snippet(d.text(), 200));
    }
  }

  /** Prints the top-k passages for one question; shared with the demo. */
  static void print(SentenceTransformer m, Retriever retriever, String question, int k) {
    float[] vector = retriever.usesVectors() ? m.encodeQueries(List.of(question), EncodeOptions.defaults())[0] : null;
    System.out.println("Q: " + question);
    int rank = 1;
    for (Hit h : retriever.search(question, vector, k)) {
      Document d = retriever.document(h.id());
      System.out.printf(Locale.ROOT, "%2d. [%.4f] %s  (%s)%n      %s%n", rank++, h.score(), d.title().isEmpty() ? "(untitled)" : d.title(),
          d.id(), snippet(d.text(), 200));
    }
  }

  static String snippet(String text, int max) {
    String t = text.replaceAll("\\s+", " ").strip();
    return t.length() <= max ? t : t.substring(0, t.lastIndexOf(' ', max) > 0 ? t.lastIndexOf(' ', max) : max) + " ...";
  }
}
