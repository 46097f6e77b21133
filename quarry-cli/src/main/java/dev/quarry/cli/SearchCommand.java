package dev.quarry.cli;

import dev.quarry.data.Corpus;
import dev.quarry.data.Document;
import dev.quarry.encode.EncodeOptions;
import dev.quarry.encode.SentenceTransformer;
import dev.quarry.index.LuceneIndex;
import dev.quarry.index.SearchMode;
import dev.quarry.search.EncodedCorpus;
import dev.quarry.search.ExactSearch;
import dev.quarry.search.Hit;
import java.nio.file.Path;
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

  @Option(names = "--mode", description = "Retrieval: exact (default), dense (HNSW), bm25 or hybrid.")
  String mode = "exact";

  @Parameters(paramLabel = "QUESTION", description = "The question.")
  String question;

  @Option(names = {"-k", "--top-k"}, description = "Passages to show (default: ${DEFAULT-VALUE}).")
  int k = 5;

  @Override
  public Integer call() {
    Path dir = data.folder();
    Corpus corpus = Corpus.read(dir.resolve("corpus.jsonl"));
    SearchMode searchMode = SearchMode.fromId(mode);
    try (SentenceTransformer m = model.load()) {
      if (searchMode == SearchMode.EXACT) {
        print(m, corpus, question, k);
        return 0;
      }
      try (LuceneIndex idx = IndexCommand.open(m, corpus, dir, index)) {
        float[] q = m.encodeQueries(List.of(question), EncodeOptions.defaults())[0];
        printHits(question, idx.search(searchMode, question, q, k), corpus);
      }
    }
    return 0;
  }

  /** Prints the top-k passages for one question; shared with the demo. */
  static void print(SentenceTransformer m, Corpus corpus, String question, int k) {
    EncodeOptions options = CorpusEncoding.withProgress(EncodeOptions.defaults(), corpus.size(), "documents");
    float[][] docs = EncodedCorpus.encode(m, corpus.fullTexts(), options, CorpusEncoding.cache());
    ExactSearch search = new ExactSearch(ExactSearch.flatten(docs), m.dimension(), m.similarityFunction(), i -> corpus.get(i).id());
    printHits(question, search.searchOne(m.encodeQueries(List.of(question), EncodeOptions.defaults())[0], k), corpus);
  }

  static void printHits(String question, List<Hit> hits, Corpus corpus) {
    System.out.println("Q: " + question);
    int rank = 1;
    for (Hit h : hits) {
      Document d = corpus.get(corpus.indexOf(h.id()));
      System.out.printf(Locale.ROOT, "%2d. [%.4f] %s  (%s)%n      %s%n", rank++, h.score(), d.title().isEmpty() ? "(untitled)" : d.title(),
          d.id(), snippet(d.text(), 200));
    }
  }

  static String snippet(String text, int max) {
    String t = text.replaceAll("\\s+", " ").strip();
    return t.length() <= max ? t : t.substring(0, t.lastIndexOf(' ', max) > 0 ? t.lastIndexOf(' ', max) : max) + " ...";
  }
}
