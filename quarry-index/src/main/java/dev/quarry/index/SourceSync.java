package dev.quarry.index;

import dev.quarry.QuarryException;
import dev.quarry.chunk.Chunk;
import dev.quarry.chunk.Chunker;
import dev.quarry.data.Document;
import dev.quarry.search.DocumentGrouping;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Deque;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Function;

/**
 * Brings an index up to date with a set of sources (the files of a folder, or the entries of a
 * corpus cut into chunks), source by source, with {@link CorpusSync}'s guarantees:
 *
 * <ul>
 *   <li>an unchanged source is not read: its size and modification time match what the index
 *       recorded, or, when they differ, its SHA-256 does (the newer time is then recorded);
 *   <li>a new or changed source is extracted, chunked, encoded and its chunks replace the old ones
 *       as one block, so every commit holds a whole version of each file;
 *   <li>a source that is gone has its chunks deleted, unless it lay where the walk could not look
 *       (an unreadable folder), so nothing is lost to a transient error;
 *   <li>a source that cannot be read is reported with its reason and skipped, and its earlier chunks,
 *       if any, stay;
 *   <li>commits come every {@link Options#commitEveryChunks} chunks; a killed run loses only what
 *       followed the last one, and the next run skips every source committed before.
 * </ul>
 *
 * <p>Extraction (parsing PDFs, Word files) and chunking run ahead on their own thread while the model
 * encodes, so the two overlap.
 */
public final class SourceSync {
  private SourceSync() {}

  /** One document's text as a source yields it. */
  public record Extracted(String title, String text, int[] pageStarts) {
    /** The page (from 1) holding character {@code offset}; 0 for a text without pages. */
    public int pageAt(int offset) {
      if (pageStarts.length == 0) {
        return 0;
      }
      int page = 1;
      for (int i = 1; i < pageStarts.length && pageStarts[i] <= offset; i++) {
        page = i + 1;
      }
      return page;
    }
  }

  /** Why a source was skipped: thrown by {@link Source#extract}, reported with the source's path. */
  public static final class Unreadable extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public Unreadable(String reason) {
      super(reason, null, false, false);
    }

    public Unreadable(String reason, Throwable cause) {
      super(reason, cause, false, false);
    }
  }

  /** A file (or corpus entry) to index. */
  public interface Source {
    /** The document id its chunks carry (a file's path under the indexed folder). */
    String id();

    /** Its path as people know it, for results and messages. */
    String path();

    long size();

    long mtime();

    /** SHA-256 of its bytes, hex; read only when size or time changed. */
    String sha256();

    /** Its title and text; throws {@link Unreadable} saying why not. */
    Extracted extract();
  }

  /** A source that was skipped, and why. */
  public record Problem(String path, String reason) {}

  /**
   * What a sync did.
   *
   * @param sources sources seen
   * @param chunks chunks written (of new and changed sources)
   * @param problems sources skipped, each with its reason
   */
  public record Report(long sources, long added, long changed, long unchanged, long deleted, long chunks, List<Problem> problems) {
 /** One line for people. */
    public String summary() {
      return summary("files");
    }

    /** One line for people, counting sources as {@code unit} ("files", "documents"). */
    public String summary(String unit) {
      return sources + " " + unit + ": " + added + " added, " + changed + " changed, " + unchanged + " unchanged, " + deleted + " deleted ("
          + chunks + " chunks encoded)" + (problems.isEmpty() ? "" : "; " + problems.size() + " skipped");
    }

    /** Whether every source seen was skipped (nothing at all could be read). */
    public boolean nothingReadable() {
      return sources > 0 && problems.size() == sources;
    }
  }

  /** Told as the sync goes. */
  @FunctionalInterface
  public interface Listener {
    void onProgress(long sourcesDone, long chunksEncoded, boolean committed);
  }

  /**
   * @param batchChunks chunks encoded together (across files, so length-sorted batches fill)
   * @param commitEveryChunks chunks between durable commits
   * @param lookahead sources extracted ahead of the encoder
   */
  public record Options(int batchChunks, int commitEveryChunks, int lookahead) {
    public static Options defaults() {
      return new Options(256, 4096, 16);
    }

    public Options {
      if (batchChunks < 1 || commitEveryChunks < 1 || lookahead < 1) {
        throw new IllegalArgumentException("batchChunks, commitEveryChunks and lookahead must be positive");
      }
    }
  }

  /**
   * Syncs {@code index} with {@code sources}.
   *
   * @param unreadableFolders id prefixes the walk could not list: sources under them are kept
   * @param encoder the model's document encoding
   */
  public static Report sync(PassageIndex index, Iterable<Source> sources, Collection<String> unreadableFolders, Chunker chunker,
      Function<List<String>, float[][]> encoder, Options options, Listener listener) {
    index.pauseMerges(true); // one merge at the end (makeQueryReady), not a cascade of background ones
    try {
      return syncPaused(index, sources, unreadableFolders, chunker, encoder, options, listener);
    } finally {
      index.pauseMerges(false);
    }
  }

  private static Report syncPaused(PassageIndex index, Iterable<Source> sources, Collection<String> unreadableFolders, Chunker chunker,
      Function<List<String>, float[][]> encoder, Options options, Listener listener) {
    String chunking = chunker.maxTokens() + "/" + chunker.overlapTokens();
    String before = index.commitData().get(PassageSchema.CHUNKING);
    // Chunks of another size would mix with the new ones: a changed chunking re-reads every source.
    Map<String, SourceStamp> stored = index.sources();
    Map<String, SourceStamp> known = chunking.equals(before) || before == null ? stored : Map.of();
    Set<String> previously = stored.keySet();
    Set<String> seen = new HashSet<>();
    List<Problem> problems = new ArrayList<>();
    Counts c = new Counts();
    ExecutorService extractors = Executors.newSingleThreadExecutor(r -> {
      Thread t = new Thread(r, "quarry-extract");
      t.setDaemon(true);
      return t;
    });
    Deque<Pending> window = new ArrayDeque<>();
    Batch batch = new Batch();
    try {
      Iterator<Source> it = sources.iterator();
      while (it.hasNext() || !window.isEmpty()) {
        while (it.hasNext() && window.size() < options.lookahead()) {
          Source s = it.next();
          if (!seen.add(s.id())) {
            throw new QuarryException("Two files map to document id " + s.id() + " (the second: " + s.path() + ").");
          }
          c.sources++;
          Pending p = check(index, s, known.get(s.id()), previously.contains(s.id()), problems, c);
          if (p != null) {
            window.add(p);
            p.chunks = extractors.submit(() -> chunksOf(s, s.extract(), chunker)); // tokenised there too: off the encoder's path
          } else {
            c.done++;
            progress(listener, c, false);
          }
        }
        Pending p = window.poll();
        if (p == null) {
          continue;
        }
        c.done++;
        List<Document> chunks;
        try {
          chunks = p.chunks.get();
        } catch (ExecutionException ex) {
          Throwable cause = ex.getCause();
          problems.add(new Problem(p.source.path(), cause instanceof Unreadable ? cause.getMessage() : describe(cause)));
          progress(listener, c, false);
          continue;
        } catch (InterruptedException ex) {
          Thread.currentThread().interrupt();
          throw new QuarryException("Interrupted while indexing " + p.source.path(), ex);
        }
        if (chunks.isEmpty()) {
          problems.add(new Problem(p.source.path(), "no text could be extracted (a scanned PDF needs OCR first)"));
          if (p.existed) {
            index.deleteSource(p.source.id()); // the file now holds nothing to find
          }
          progress(listener, c, false);
          continue;
        }
        if (p.existed) {
          c.changed++;
        } else {
          c.added++;
        }
        batch.add(p.source.id(), p.stamp, chunks);
        if (batch.chunks >= options.batchChunks()) {
          c.chunks += batch.write(index, encoder);
          c.sinceCommit += batch.chunks;
          batch = new Batch();
        }
        boolean commit = c.sinceCommit >= options.commitEveryChunks();
        if (commit) {
          index.commit(Map.of(PassageSchema.CHUNKING, chunking, PassageSchema.SYNC_PROGRESS_PREFIX + "sources_complete", "false"));
          c.sinceCommit = 0;
        }
        progress(listener, c, commit);
      }
      c.chunks += batch.write(index, encoder);
    } finally {
      extractors.shutdownNow();
    }
    for (String id : previously) {
      if (!seen.contains(id) && unreadableFolders.stream().noneMatch(id::startsWith)) {
        index.deleteSource(id);
        c.deleted++;
      }
    }
    index.commit(Map.of(PassageSchema.CHUNKING, chunking, PassageSchema.SYNC_PROGRESS_PREFIX + "sources_complete", "true"));
    progress(listener, c, true);
    return new Report(c.sources, c.added, c.changed, c.unchanged, c.deleted, c.chunks, List.copyOf(problems));
  }

  /** Whether a source must be read; records the unchanged ones. */
  private static Pending check(PassageIndex index, Source s, SourceStamp old, boolean existed, List<Problem> problems, Counts c) {
    try {
      long size = s.size();
      long mtime = s.mtime();
      if (old != null && old.size() == size && old.mtime() == mtime) {
        c.unchanged++;
        return null;
      }
      String sha = s.sha256();
      if (old != null && old.size() == size && old.sha256().equals(sha)) {
        index.touchSource(s.id(), mtime); // same bytes, newer time: the next run compares times only
        c.unchanged++;
        return null;
      }
      return new Pending(s, new SourceStamp(size, mtime, sha), existed);
    } catch (Unreadable e) {
      problems.add(new Problem(s.path(), e.getMessage()));
      return null;
    }
  }

  private static List<Document> chunksOf(Source s, Extracted e, Chunker chunker) {
    List<Chunk> chunks = chunker.chunk(e.text(), e.title()); // the title is encoded with every chunk
    List<Document> out = new ArrayList<>(chunks.size());
    for (Chunk ch : chunks) {
      out.add(new Document(DocumentGrouping.chunkId(s.id(), ch.index()), e.title(), ch.text(),
          new Document.Origin(s.id(), s.path(), e.pageAt(ch.start()), ch.start(), ch.end())));
    }
    return out;
  }

  private static String describe(Throwable t) {
    String m = t.getMessage();
    return t.getClass().getSimpleName() + (m == null ? "" : ": " + m);
  }

  private static void progress(Listener listener, Counts c, boolean committed) {
    if (listener != null) {
      listener.onProgress(c.done, c.chunks, committed);
    }
  }

  private static final class Counts {
    long sources;
    /** Sources finished: skipped, unchanged, or chunked and handed to the encoder. */
    long done;
    long added;
    long changed;
    long unchanged;
    long deleted;
    long chunks;
    long sinceCommit;
  }

  private static final class Pending {
    final Source source;
    final SourceStamp stamp;
    final boolean existed;
    Future<List<Document>> chunks;

    Pending(Source source, SourceStamp stamp, boolean existed) {
      this.source = source;
      this.stamp = stamp;
      this.existed = existed;
    }
  }

  /** Chunks of several sources, encoded together and then written source by source. */
  private static final class Batch {
    final List<String> ids = new ArrayList<>();
    final List<SourceStamp> stamps = new ArrayList<>();
    final List<List<Document>> docs = new ArrayList<>();
    int chunks;

    void add(String id, SourceStamp stamp, List<Document> chunksOfSource) {
      ids.add(id);
      stamps.add(stamp);
      docs.add(chunksOfSource);
      chunks += chunksOfSource.size();
    }

    int write(PassageIndex index, Function<List<String>, float[][]> encoder) {
      if (chunks == 0) {
        return 0;
      }
      List<String> texts = new ArrayList<>(chunks);
      docs.forEach(list -> list.forEach(d -> texts.add(d.fullText())));
      float[][] vectors = encoder.apply(texts);
      if (vectors.length != texts.size()) {
        throw new QuarryException("The encoder returned " + vectors.length + " vectors for " + texts.size() + " chunks.");
      }
      int at = 0;
      for (int i = 0; i < ids.size(); i++) {
        List<Document> d = docs.get(i);
        float[][] v = new float[d.size()][];
        System.arraycopy(vectors, at, v, 0, d.size());
        at += d.size();
        index.replaceSource(ids.get(i), stamps.get(i), d, v);
      }
      return chunks;
    }
  }
}
