package dev.quarry.cli;

import dev.quarry.data.Document;
import dev.quarry.encode.SentenceTransformer;
import dev.quarry.index.PassageIndex;
import dev.quarry.index.SearchMode;
import dev.quarry.search.Reranker;
import dev.quarry.search.Searcher;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code quarry search}: the top passages of a corpus for a question. */
@Command(name = "search", mixinStandardHelpOptions = true, description = "Search a BEIR corpus (-d) or your own files and folders (--docs) with a question.")
final class SearchCommand implements Callable<Integer> {
  @Mixin ModelOptions model;
  @Mixin DatasetOptions data;
  @Mixin IndexOptions index;
  @Mixin RerankOptions rerank;
  @Mixin DocumentOptions docs;

  @Option(names = "--docs", paramLabel = "PATH", description = "Search these files and folders (indexed and synced first) instead of -d.")
  List<Path> paths = new ArrayList<>();

  @Option(names = "--mode", description = "Retrieval over the index: exact (default: every vector scored), dense (HNSW), bm25 or hybrid.")
  String mode = "exact";

  @Parameters(paramLabel = "QUESTION", description = "The question.")
  String question;

  @Option(names = {"-k", "--top-k"}, description = "Passages to show (default: ${DEFAULT-VALUE}).")
  int k = 5;

  @Override
  public Integer call() {
    Reranker reranker = rerank.open();
    try (SentenceTransformer m = model.load();
        PassageIndex idx = paths.isEmpty() ? IndexAccess.open(m, data.folder(), index, docs) : IndexAccess.openFolders(m, paths, index, docs).index()) {
      print(Searcher.of(m, idx.retriever(SearchMode.fromId(mode), docs.byDocument())).withReranker(reranker), question, k);
    } finally {
      if (reranker != null) {
        reranker.crossEncoder().close();
      }
    }
    return 0;
  }

  /** Prints the top-k passages for one question; reranked hits show both stages' scores. Shared with the demo. */
  static void print(Searcher searcher, String question, int k) {
    Searcher.Result r = searcher.search(question, k);
    String first = searcher.retriever().name();
    boolean fused = r.reranked() && searcher.reranker().fusion() != Reranker.Fusion.NONE;
    System.out.println("Q: " + question + (r.reranked() ? "   (" + first + " top " + r.candidates() + ", reranked by "
        + searcher.reranker().crossEncoder().folder().modelId() + (fused ? ", fused with " + first + " by RRF" : "") + ")" : ""));
    int rank = 1;
    for (Searcher.Ranked h : r.hits()) {
      Document d = h.document();
      String score = r.reranked() ? String.format(Locale.ROOT, "%s %.4f | %s %.4f, was #%d", fused ? "rrf" : "rerank", h.hit().score(), first,
          h.firstStageScore(), h.firstStageRank()) : String.format(Locale.ROOT, "%.4f", h.hit().score());
      System.out.printf(Locale.ROOT, "%2d. [%s] %s  (%s)%n      %s%n", rank++, score, d.title().isEmpty() ? "(untitled)" : d.title(),
          where(d), snippet(d.text(), 200));
    }
  }

  /** A passage's id, or for a chunk of a file its path, page and chunk. */
  static String where(Document d) {
    if (d.origin() == null || d.origin().path().isEmpty()) {
      return d.id();
    }
    return d.origin().path() + (d.origin().page() > 0 ? ", page " + d.origin().page() : "") + ", chunk "
        + d.id().substring(d.id().lastIndexOf('#') + 1);
  }

  static String snippet(String text, int max) {
    String t = text.replaceAll("\\s+", " ").strip();
    return t.length() <= max ? t : t.substring(0, t.lastIndexOf(' ', max) > 0 ? t.lastIndexOf(' ', max) : max) + " ...";
  }
}
