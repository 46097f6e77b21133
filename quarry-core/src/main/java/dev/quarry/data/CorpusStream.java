package dev.quarry.data;

import dev.quarry.QuarryException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * {@code corpus.jsonl} read document by document from any byte offset, each document with the
 * offset just past it: what resumable indexing records in its commits and restarts from. Field
 * rules and error messages are those of {@link Corpus#read}; unlike it, ids are not checked for
 * repeats (that would hold every id in memory): a repeated id replaces the earlier document, as an
 * update by id does.
 */
public final class CorpusStream implements AutoCloseable {
  /**
   * One document, its position among the file's documents (0-based), its line number, and the byte
   * offset where the next line starts.
   */
  public record Entry(Document document, long ordinal, int line, long nextOffset) {}

  private final Path file;
  private final Utf8Lines lines;
  private long ordinal;

  private CorpusStream(Path file, Utf8Lines lines, long documentsBefore) {
    this.file = file;
    this.lines = lines;
    this.ordinal = documentsBefore;
  }

  /** Opens {@code file} at its beginning. */
  public static CorpusStream open(Path file) {
    return open(file, 0, 0, 0);
  }

  /**
   * Opens {@code file} at {@code offset}, the start of line {@code linesBefore + 1}, after
   * {@code documentsBefore} documents.
   */
  public static CorpusStream open(Path file, long offset, int linesBefore, long documentsBefore) {
    try {
      FileChannel ch = FileChannel.open(file, StandardOpenOption.READ);
      if (offset > ch.size()) {
        ch.close();
        throw new QuarryException(file + " is shorter (" + ch.size() + " bytes) than the recorded progress (" + offset + " bytes).");
      }
      ch.position(offset);
      InputStream in = Channels.newInputStream(ch);
      return new CorpusStream(file, new Utf8Lines(in, file.toString(), offset, linesBefore), documentsBefore);
    } catch (NoSuchFileException e) {
      throw new QuarryException("Missing file " + file + ": a BEIR dataset folder holds corpus.jsonl.");
    } catch (IOException e) {
      throw new QuarryException("Cannot read " + file + ": " + e.getMessage(), e);
    }
  }

  /** The next document, or null at the end of the file. */
  public Entry next() {
    for (String line; (line = lines.next()) != null; ) {
      if (line.isBlank()) {
        continue;
      }
      int n = lines.lineNumber();
      Document d = Corpus.document(JsonlRecords.record(line, file, n), file);
      return new Entry(d, ordinal++, n, lines.position());
    }
    return null;
  }

  @Override
  public void close() {
    lines.close();
  }
}
