package dev.quarry.index;

import dev.quarry.Digests;
import dev.quarry.QuarryException;
import dev.quarry.data.CorpusStream;
import dev.quarry.data.Document;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Brings an index up to date with a {@code corpus.jsonl}, streaming: the corpus is read a chunk at a
 * time, only new or changed documents are encoded, and progress is committed with the index, so a
 * killed run continues where its last commit left off and memory is bounded by the chunk.
 *
 * <p>One algorithm serves a first build, a resumed build and an incremental update. Each sync has a
 * generation number. Every document the corpus holds is either written with the current generation
 * (new, or title/text changed: compared by {@link PassageSchema#contentHash}) or, if unchanged, has its
 * generation updated in place (a doc-values update: no re-encoding, no re-indexing). At the end the
 * corpus documents of older generations, i.e. ids the corpus no longer has, are deleted. Documents
 * written through the API carry {@link PassageSchema#NOT_FROM_CORPUS} and are never deleted here.
 *
 * <p>Each commit records in its user data the corpus file's size, modification time and SHA-256,
 * the byte offset and line reached, the generation, and whether the pass is complete. A complete
 * pass over a file with the same size and time (or, if the time changed, the same SHA-256) means
 * there is nothing to do: the index opens without reading the corpus.
 */
public final class CorpusSync {
  private static final String PREFIX = PassageSchema.SYNC_PROGRESS_PREFIX;
  private static final String SIZE = PREFIX + "size";
  private static final String MTIME = PREFIX + "mtime";
  private static final String SHA256 = PREFIX + "sha256";
  private static final String OFFSET = PREFIX + "offset";
  private static final String LINES = PREFIX + "lines";
  private static final String DOCUMENTS = PREFIX + "documents";
  private static final String GENERATION = PREFIX + "generation";
  private static final String COMPLETE = PREFIX + "complete";
  private static final String FILE = PREFIX + "file";

  private CorpusSync() {}

  /**
   * Turns documents into vectors: the model's document encoding, or vectors computed elsewhere (the
   * entries' ordinals are the documents' positions in the corpus file, the rows of a precomputed matrix).
   */
  @FunctionalInterface
  public interface Encoder {
    float[][] encode(List<CorpusStream.Entry> documents);
  }

  /** Told after every chunk; may throw to stop the sync (the next one continues from the last commit). */
  @FunctionalInterface
  public interface Listener {
    /** @param committed whether this chunk ended with a durable commit */
    void onChunk(Report progress, long bytesDone, long bytesTotal, boolean committed);
  }

  /**
   * @param chunkSize documents read, compared and encoded together (bounds the memory used)
   * @param commitEvery documents between durable commits (rounded up to whole chunks)
   */
  public record Options(int chunkSize, int commitEvery) {
    public static Options defaults() {
      return new Options(1024, 8192);
    }

    public Options {
      if (chunkSize < 1 || commitEvery < 1) {
        throw new IllegalArgumentException("chunkSize and commitEvery must be positive");
      }
    }
  }

  /**
   * What a sync did.
   *
   * @param upToDate the corpus had not changed since the last complete sync: nothing was read
   * @param resumedAtLine 0, or the line an interrupted sync continued after
   * @param encoded documents sent to the encoder (new + changed)
   */
  public record Report(boolean upToDate, int resumedAtLine, long added, long changed, long unchanged, long deleted,
      long encoded) {
    /** One line for people: what changed. */
    public String summary() {
      if (upToDate) {
        return "index up to date with the corpus";
      }
      return (resumedAtLine > 0 ? "resumed after line " + resumedAtLine + "; " : "") + added + " added, " + changed
          + " changed, " + unchanged + " unchanged, " + deleted + " deleted (" + encoded + " encoded)";
    }
  }

  /** Whether the index holds a complete sync of exactly this corpus file (size and time, else SHA-256). */
  public static boolean isUpToDate(PassageIndex index, Path corpus) {
    Map<String, String> data = index.commitData();
    if (!"true".equals(data.get(COMPLETE))) {
      return false;
    }
    FileStamp now = FileStamp.of(corpus);
    if (!now.file().equals(data.get(FILE)) || now.size() != Long.parseLong(data.getOrDefault(SIZE, "-1"))) {
      return false;
    }
    return now.mtime() == Long.parseLong(data.getOrDefault(MTIME, "-1")) || sha256(corpus).equals(data.get(SHA256));
  }

  /**
   * Brings {@code index} up to date with {@code corpus}. An index synced from another corpus file
   * is refused (syncing would delete and re-encode all of it): rebuild it instead.
   */
  public static Report sync(PassageIndex index, Path corpus, Encoder encoder, Options options, Listener listener) {
    index.pauseMerges(true); // one merge at the end (makeQueryReady), not a cascade of background ones
    try {
      return syncPaused(index, corpus, encoder, options, listener);
    } finally {
      index.pauseMerges(false);
    }
  }

  private static Report syncPaused(PassageIndex index, Path corpus, Encoder encoder, Options options, Listener listener) {
    Map<String, String> data = index.commitData();
    String file = corpus.toAbsolutePath().normalize().toString();
    String syncedFile = data.get(FILE);
    if (syncedFile != null && !syncedFile.equals(file)) {
      throw new QuarryException("The index holds corpus " + syncedFile + " (SHA-256 " + data.get(SHA256) + "), not " + file
          + " (SHA-256 " + sha256(corpus) + "). Use that corpus, another --index folder, or --reindex to rebuild it.");
    }
    if (isUpToDate(index, corpus)) {
      if (FileStamp.of(corpus).mtime() != Long.parseLong(data.get(MTIME))) {
        Map<String, String> touched = new HashMap<>(progressOf(data));
        touched.put(MTIME, Long.toString(FileStamp.of(corpus).mtime()));
        index.commit(touched); // same bytes, newer time: remember it, so the next open skips the hash
      }
      return new Report(true, 0, 0, 0, 0, 0, 0);
    }
    FileStamp stamp = FileStamp.of(corpus);
    String sha = sha256(corpus);
    long generation;
    long offset = 0;
    int lines = 0;
    long documents = 0;
    boolean interruptedSameFile = "false".equals(data.get(COMPLETE)) && sha.equals(data.get(SHA256));
    if (interruptedSameFile) {
      generation = Long.parseLong(data.get(GENERATION));
      offset = Long.parseLong(data.get(OFFSET));
      lines = Integer.parseInt(data.get(LINES));
      documents = Long.parseLong(data.get(DOCUMENTS));
    } else {
      generation = Long.parseLong(data.getOrDefault(GENERATION, "0")) + 1;
    }
    int resumedAt = lines;
    long added = 0;
    long changed = 0;
    long unchanged = 0;
    long encoded = 0;
    long sinceCommit = 0;
    try (CorpusStream in = CorpusStream.open(corpus, offset, lines, documents)) {
      while (true) {
        List<CorpusStream.Entry> chunk = new ArrayList<>(options.chunkSize());
        for (CorpusStream.Entry e; chunk.size() < options.chunkSize() && (e = in.next()) != null; ) {
          chunk.add(e);
        }
        if (chunk.isEmpty()) {
          break;
        }
        Map<String, String> stored = index.storedHashes(chunk.stream().map(e -> e.document().id()).toList());
        List<CorpusStream.Entry> toEncode = new ArrayList<>();
        for (CorpusStream.Entry e : chunk) {
          Document d = e.document();
          String before = stored.get(d.id());
          if (before != null && before.equals(PassageSchema.contentHash(d))) {
            index.markSeen(d.id(), generation);
            unchanged++;
          } else {
            toEncode.add(e);
            if (before == null) {
              added++;
            } else {
              changed++;
            }
          }
        }
        if (!toEncode.isEmpty()) {
          float[][] vectors = encoder.encode(toEncode);
          encoded += toEncode.size();
          if (vectors.length != toEncode.size()) {
            throw new QuarryException("The encoder returned " + vectors.length + " vectors for " + toEncode.size() + " documents.");
          }
          index.upsert(toEncode.stream().map(CorpusStream.Entry::document).toList(), vectors, generation);
        }
        CorpusStream.Entry last = chunk.get(chunk.size() - 1);
        sinceCommit += chunk.size();
        boolean commit = sinceCommit >= options.commitEvery();
        if (commit) {
          sinceCommit = 0;
          index.commit(progress(stamp, sha, generation, last.nextOffset(), last.line(), last.ordinal() + 1, false));
        }
        if (listener != null) {
          listener.onChunk(new Report(false, resumedAt, added, changed, unchanged, 0, encoded), last.nextOffset(), stamp.size(), commit);
        }
        // No refresh between commits: lookups see the index as of the last commit, which holds every
        // document an unchanged-check can match. (An id repeated within the file is merely re-encoded.)
      }
    }
    long deleted = index.deleteUnseen(generation);
    index.commit(progress(stamp, sha, generation, stamp.size(), 0, 0, true));
    Report report = new Report(false, resumedAt, added, changed, unchanged, deleted, encoded);
    if (listener != null) {
      listener.onChunk(report, stamp.size(), stamp.size(), true);
    }
    return report;
  }

  private static Map<String, String> progress(FileStamp stamp, String sha, long generation, long offset, int lines,
      long documents, boolean complete) {
    Map<String, String> m = new HashMap<>();
    m.put(SIZE, Long.toString(stamp.size()));
    m.put(MTIME, Long.toString(stamp.mtime()));
    m.put(SHA256, sha);
    m.put(GENERATION, Long.toString(generation));
    m.put(OFFSET, Long.toString(offset));
    m.put(LINES, Integer.toString(lines));
    m.put(DOCUMENTS, Long.toString(documents));
    m.put(COMPLETE, Boolean.toString(complete));
    m.put(FILE, stamp.file());
    return m;
  }

  private static Map<String, String> progressOf(Map<String, String> data) {
    Map<String, String> m = new HashMap<>();
    data.forEach((k, v) -> {
      if (k.startsWith(PREFIX)) {
        m.put(k, v);
      }
    });
    return m;
  }

  private record FileStamp(String file, long size, long mtime) {
    static FileStamp of(Path file) {
      try {
        return new FileStamp(file.toAbsolutePath().normalize().toString(), Files.size(file), Files.getLastModifiedTime(file).toMillis());
      } catch (IOException e) {
        throw new QuarryException("Cannot read " + file + ": " + e.getMessage(), e);
      }
    }
  }

  /** SHA-256 of a file, hex (the corpus fingerprint). */
  static String sha256(Path file) {
    try {
      return Digests.sha256Hex(file);
    } catch (IOException e) {
      throw new QuarryException("Cannot read " + file + ": " + e.getMessage(), e);
    }
  }
}
