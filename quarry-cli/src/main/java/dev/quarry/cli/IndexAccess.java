package dev.quarry.cli;

import dev.quarry.QuarryException;
import dev.quarry.chunk.Chunker;
import dev.quarry.documents.DocumentExtractor;
import dev.quarry.documents.FolderSources;
import dev.quarry.encode.EncodeOptions;
import dev.quarry.encode.SentenceTransformer;
import dev.quarry.index.CorpusIndexer;
import dev.quarry.index.CorpusSources;
import dev.quarry.index.CorpusSync;
import dev.quarry.index.IndexLocation;
import dev.quarry.index.PassageIndex;
import dev.quarry.index.SourceSync;
import dev.quarry.index.lucene.LuceneIndex;
import dev.quarry.model.ModelResolver;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.TreeSet;

/**
 * How every command reaches a corpus's index: the options mapped onto {@link CorpusIndexer#open},
 * with a progress bar while it syncs and a line saying what changed.
 */
final class IndexAccess {
  private IndexAccess() {}

  /** The index of {@code dataset}'s corpus for {@code m}, synced, open; chunked when {@code docs} asks for chunks. */
  static PassageIndex open(SentenceTransformer m, Path dataset, IndexOptions options, DocumentOptions docs) {
    if (docs == null || docs.chunkTokens == null) {
      return open(m, dataset, options);
    }
    Path folder = options.index != null ? options.index
        : options.folder(dataset, m.folder().modelId()).resolveSibling(options.folder(dataset, m.folder().modelId()).getFileName() + "-chunk"
            + docs.chunkTokens);
    return sync(m, folder, new CorpusSources(dataset.resolve("corpus.jsonl")), List.of(), List.of(), options, docs, "documents").index;
  }

  /** An index open after a sync by file, what the sync did, and what the walk could not look at. */
  record Synced(PassageIndex index, SourceSync.Report report, List<SourceSync.Problem> walkProblems) {
    /** Whether nothing at all could be read: every file seen was skipped, or there were only unreadable paths. */
    boolean nothingRead() {
      return report.nothingReadable() || (report.sources() == 0 && !walkProblems.isEmpty());
    }
  }

  /**
   * The index of the files under {@code paths}, synced: unchanged files are not read, changed ones
   * replaced whole, deleted ones removed; each file that could not be read is named with its reason.
   */
  static Synced openFolders(SentenceTransformer m, List<Path> paths, IndexOptions options, DocumentOptions docs) {
    if (options.solr.given()) {
      throw new QuarryException("Folders of files are indexed in a local Lucene index; --solr takes BEIR corpora (-d).");
    }
    Path folder = options.index != null ? options.index
        : ModelResolver.defaults().cacheDir().resolve("indexes").resolve((paths.get(0).toAbsolutePath().normalize().getFileName() + "-docs-"
            + rootsDigest(paths) + "-" + m.folder().modelId()).replaceAll("[^A-Za-z0-9._-]", "_") + options.quantizationSuffix());
    DocumentExtractor extractor = docs.extractor();
    try {
      FolderSources walked = FolderSources.walk(paths, docs.walk(), extractor);
      if (walked.files().isEmpty() && walked.problems().isEmpty()) {
        throw new QuarryException("No files to read under " + paths + (docs.include.isEmpty()
            ? " (by default: " + String.join(", ", new TreeSet<>(FolderSources.DEFAULT_EXTENSIONS)) + "; --include picks others)" : ""));
      }
      return sync(m, folder, walked.files(), walked.unreadableFolders(), walked.problems(), options, docs, "files");
    } finally {
      extractor.close();
    }
  }

  /**
   * A short digest of the folders' absolute paths: two folders of the same name (~/a/docs, ~/b/docs)
   * get indexes of their own, or each sync would delete the other's files.
   */
  private static String rootsDigest(List<Path> paths) {
    java.security.MessageDigest md = dev.quarry.Digests.sha256();
    paths.stream().map(p -> p.toAbsolutePath().normalize().toString()).sorted()
        .forEach(p -> md.update((p + "\n").getBytes(java.nio.charset.StandardCharsets.UTF_8)));
    return java.util.HexFormat.of().formatHex(md.digest(), 0, 4);
  }

  private static Synced sync(SentenceTransformer m, Path folder, Iterable<SourceSync.Source> sources, List<String> unreadable,
      List<SourceSync.Problem> walkProblems, IndexOptions options, DocumentOptions docs, String unit) {
    IndexLocation<LuceneIndex> where = LuceneIndex.at(folder);
    if (options.reindex) {
      where.delete();
    }
    Chunker chunker = docs.chunker(m);
    int total = sources instanceof Collection<?> c ? c.size() : -1;
    ProgressBar bar = new ProgressBar(System.err, unit);
    LuceneIndex index = where.open(CorpusIndexer.metadataOf(m), options.settings());
    try {
      SourceSync.Report report = SourceSync.sync(index, sources, unreadable, chunker,
          texts -> m.encodeDocuments(texts, EncodeOptions.defaults()), syncOptions(options),
          (done, chunks, committed) -> bar.onProgress((int) done, total, chunks, "chunks"));
      index.makeQueryReady(new MergeBar());
      List<SourceSync.Problem> problems = new ArrayList<>(walkProblems);
      problems.addAll(report.problems());
      problems.forEach(p -> System.err.println("quarry: skipped " + p.path() + ": " + p.reason()));
      System.err.println("quarry: " + index.location() + ": " + report.summary(unit) + (walkProblems.isEmpty() ? ""
          : "; " + walkProblems.size() + " paths could not be walked"));
      return new Synced(index, report, List.copyOf(walkProblems));
    } catch (RuntimeException e) {
      index.close();
      throw e;
    }
  }

  /** The final merge on stderr: what it merges and why, then the graph build's progress bar. */
  private static final class MergeBar implements PassageIndex.MergeListener {
    private ProgressBar bar;

    @Override
    public void onMerge(String phase, long done, long total) {
      if (total < 0) {
        System.err.println("quarry: " + phase + ", so that searches walk one graph; everything is committed, so an interrupted"
            + " merge loses nothing and the next run finishes it");
        return;
      }
      if (bar == null) {
        bar = new ProgressBar(System.err, "vectors");
        System.err.println("quarry: " + phase);
      }
      bar.onProgress((int) done, (int) total);
    }
  }

  /** --commit-every counts chunks when files are synced; a batch never spans a commit. */
  private static SourceSync.Options syncOptions(IndexOptions options) {
    SourceSync.Options d = SourceSync.Options.defaults();
    int every = options.commitEvery == CorpusSync.Options.defaults().commitEvery() ? d.commitEveryChunks() : options.commitEvery;
    return new SourceSync.Options(Math.min(d.batchChunks(), every), every, d.lookahead());
  }

  /** The index of {@code dataset}'s corpus for {@code m}, synced, open. */
  static PassageIndex open(SentenceTransformer m, Path dataset, IndexOptions options) {
    ProgressBar bar = new ProgressBar(System.err, "KB");
    CorpusIndexer.Options build = new CorpusIndexer.Options(options.settings(), options.syncOptions(), options.reindex, options.vectors,
        (p, done, total, committed) -> bar.onProgress((int) (done >> 10), (int) (total >> 10)), new MergeBar());
    CorpusIndexer.Opened<?> opened = CorpusIndexer.open(options.location(dataset, m.folder().modelId()), m, dataset.resolve("corpus.jsonl"),
        build);
    opened.warnings().forEach(w -> System.err.println("quarry: " + w));
    if (opened.sync() != null) {
      System.err.println("quarry: " + opened.index().location() + ": " + opened.sync().summary());
    }
    return opened.index();
  }
}
