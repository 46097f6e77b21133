package dev.quarry.cli;

import dev.quarry.encode.SentenceTransformer;
import dev.quarry.index.CorpusIndexer;
import dev.quarry.index.PassageIndex;
import java.nio.file.Path;

/**
 * How every command reaches a corpus's index: the options mapped onto {@link CorpusIndexer#open},
 * with a progress bar while it syncs and a line saying what changed.
 */
final class IndexAccess {
  private IndexAccess() {}

  /** The index of {@code dataset}'s corpus for {@code m}, synced, open. */
  static PassageIndex open(SentenceTransformer m, Path dataset, IndexOptions options) {
    ProgressBar bar = new ProgressBar(System.err, "KB");
    CorpusIndexer.Options build = new CorpusIndexer.Options(options.settings(), options.syncOptions(), options.reindex, options.vectors,
        (p, done, total, committed) -> bar.onProgress((int) (done >> 10), (int) (total >> 10)));
    CorpusIndexer.Opened<?> opened = CorpusIndexer.open(options.location(dataset, m.folder().modelId()), m, dataset.resolve("corpus.jsonl"),
        build);
    opened.warnings().forEach(w -> System.err.println("quarry: " + w));
    if (opened.sync() != null) {
      System.err.println("quarry: " + opened.index().location() + ": " + opened.sync().summary());
    }
    return opened.index();
  }
}
