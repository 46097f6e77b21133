package dev.quarry.cli;

import dev.quarry.data.Corpus;
import dev.quarry.encode.EncodeOptions;
import dev.quarry.encode.SentenceTransformer;
import dev.quarry.index.CorpusIndexer;
import dev.quarry.index.LuceneIndex;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** {@code quarry index}: builds (or updates) the Lucene index of a BEIR corpus. */
@Command(name = "index", mixinStandardHelpOptions = true,
    description = "Index a BEIR corpus in Lucene (HNSW vectors, BM25 text); existing ids are replaced.")
final class IndexCommand implements Callable<Integer> {
  @Mixin ModelOptions model;
  @Mixin DatasetOptions data;
  @Mixin IndexOptions index;

  @Override
  public Integer call() {
    long start = System.nanoTime();
    Path dir = data.folder();
    Corpus corpus = Corpus.read(dir.resolve("corpus.jsonl"));
    try (SentenceTransformer m = model.load(); LuceneIndex idx = open(m, corpus, dir, index)) {
      System.out.printf(Locale.ROOT, "Indexed %d documents with %s into %s in %.1f s%n", idx.size(), m.folder().modelId(),
          index.folder(dir, m.folder().modelId()), (System.nanoTime() - start) / 1e9);
    }
    return 0;
  }

  /** Builds the index of {@code corpus} (encoding with the cache) and returns it open. */
  static LuceneIndex open(SentenceTransformer m, Corpus corpus, Path dataset, IndexOptions options) {
    EncodeOptions enc = CorpusEncoding.withProgress(EncodeOptions.defaults(), corpus.size(), "documents");
    return CorpusIndexer.build(options.folder(dataset, m.folder().modelId()), m, corpus, options.settings(), enc,
        CorpusEncoding.cache());
  }
}
