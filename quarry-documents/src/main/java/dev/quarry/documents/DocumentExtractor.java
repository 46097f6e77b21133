package dev.quarry.documents;

import dev.quarry.index.SourceSync.Extracted;
import dev.quarry.index.SourceSync.Unreadable;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.tika.exception.EncryptedDocumentException;
import org.apache.tika.exception.TikaException;
import org.apache.tika.exception.WriteLimitReachedException;
import org.apache.tika.exception.ZeroByteFileException;
import org.apache.tika.io.TikaInputStream;
import org.apache.tika.metadata.Metadata;
import org.apache.tika.metadata.TikaCoreProperties;
import org.apache.tika.parser.AutoDetectParser;
import org.apache.tika.parser.ParseContext;
import org.apache.tika.parser.Parser;
import org.xml.sax.SAXException;

/**
 * A file's title and text through Apache Tika's auto-detecting parser (format from the bytes, not the
 * name), with the limits that keep one bad file from stopping a folder:
 *
 * <ul>
 *   <li>files over {@code maxFileBytes} are not opened;
 *   <li>text past {@code maxChars} stops the parse (the heap holds at most that much per file);
 *   <li>a parse that runs past {@code timeout} is abandoned: its thread is interrupted and left to
 *       die (a parser stuck in a loop that ignores interrupts keeps one daemon thread busy; Tika's
 *       ForkParser would isolate it in a process, at the cost of a JVM per worker);
 *   <li>encrypted, corrupt and binary files are refused with a reason that says which.
 * </ul>
 *
 * <p>The title is the document's metadata title, else its first heading (a Markdown {@code #} line
 * for Markdown, which Tika reads as plain text), else the file name.
 */
public final class DocumentExtractor implements AutoCloseable {
  /** What a file may hold by default, in MB: larger files are skipped. */
  public static final int DEFAULT_MAX_FILE_MB = 100;
  /** Text kept from one file at most by default: about 5,000 pages. */
  public static final int DEFAULT_MAX_CHARS = 20_000_000;
  /** How long one file's parse may take by default. */
  public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(60);

  private final Parser parser;
  private final long maxFileBytes;
  private final int maxChars;
  private final Duration timeout;
  private final ExecutorService parsing = Executors.newCachedThreadPool(r -> {
    Thread t = new Thread(r, "quarry-tika");
    t.setDaemon(true);
    return t;
  });

  public DocumentExtractor(long maxFileBytes, int maxChars, Duration timeout) {
    this(new AutoDetectParser(), maxFileBytes, maxChars, timeout);
  }

  /** With another parser (tests inject one that hangs). */
  DocumentExtractor(Parser parser, long maxFileBytes, int maxChars, Duration timeout) {
    this.parser = parser;
    this.maxFileBytes = maxFileBytes;
    this.maxChars = maxChars;
    this.timeout = timeout;
  }

  public static DocumentExtractor defaults() {
    return new DocumentExtractor(DEFAULT_MAX_FILE_MB * 1024L * 1024L, DEFAULT_MAX_CHARS, DEFAULT_TIMEOUT);
  }

  /** The defaults with another parser. */
  static DocumentExtractor defaults(Parser parser) {
    return new DocumentExtractor(parser, DEFAULT_MAX_FILE_MB * 1024L * 1024L, DEFAULT_MAX_CHARS, DEFAULT_TIMEOUT);
  }

  /** The file's title and text; {@link Unreadable} says why not. */
  public Extracted extract(Path file) {
    long size;
    try {
      size = Files.size(file);
    } catch (IOException e) {
      throw new Unreadable(reason(e));
    }
    if (size > maxFileBytes) {
      throw new Unreadable(String.format(Locale.ROOT, "%.1f MB is over the %d MB limit (--max-file-mb)", size / 1048576.0,
          maxFileBytes / 1048576));
    }
    Future<Extracted> parse = parsing.submit(() -> parse(file));
    try {
      return parse.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      parse.cancel(true);
      throw new Unreadable("the parser did not finish within " + timeout.toSeconds() + " s (--parse-timeout)");
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof Unreadable u) {
        throw u;
      }
      throw new Unreadable(reason(cause), cause);
    } catch (InterruptedException e) {
      parse.cancel(true);
      Thread.currentThread().interrupt();
      throw new Unreadable("interrupted");
    }
  }

  private Extracted parse(Path file) throws IOException, TikaException, SAXException {
    Metadata metadata = new Metadata();
    ExtractionHandler handler = new ExtractionHandler(maxChars);
    try (InputStream in = TikaInputStream.get(file, metadata)) {
      parser.parse(in, handler, metadata, new ParseContext());
    }
    String raw = handler.text();
    int lead = 0;
    while (lead < raw.length() && Character.isWhitespace(raw.charAt(lead))) {
      lead++;
    }
    String text = raw.strip();
    if (!text.isEmpty() && looksBinary(text)) {
      throw new Unreadable("binary data, not text (detected as " + metadata.get(Metadata.CONTENT_TYPE) + ")");
    }
    int[] pages = handler.pageStarts();
    for (int i = 0; i < pages.length; i++) {
      pages[i] = Math.max(0, pages[i] - lead); // offsets into the stripped text
    }
    return new Extracted(title(metadata, handler, text, file), text, pages);
  }

  private static String title(Metadata metadata, ExtractionHandler handler, String text, Path file) {
    String t = metadata.get(TikaCoreProperties.TITLE);
    if (t != null && !t.isBlank()) {
      return t.strip();
    }
    if (handler.firstHeading() != null) {
      return handler.firstHeading();
    }
    String type = metadata.get(Metadata.CONTENT_TYPE);
    String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
    if ((type != null && type.contains("markdown")) || name.endsWith(".md") || name.endsWith(".markdown")) {
      for (String line : text.split("\n", 200)) {
        if (line.startsWith("#")) {
          String h = line.replaceFirst("^#+\\s*", "").strip();
          if (!h.isEmpty()) {
            return h;
          }
        }
      }
    }
    return file.getFileName().toString();
  }

  /**
   * Text decoded from bytes that are not text (random data named .txt, invalid UTF-8) is full of
   * replacement and control characters, or, where a charset detector guessed UTF-16, of private-use,
   * unpaired surrogate and unassigned code points; real text in any language has almost none.
   */
  static boolean looksBinary(String text) {
    int n = Math.min(text.length(), 8192);
    int bad = 0;
    for (int i = 0; i < n; i++) {
      char c = text.charAt(i);
      int type = Character.getType(c);
      boolean pairedSurrogate = Character.isHighSurrogate(c) && i + 1 < text.length() && Character.isLowSurrogate(text.charAt(i + 1));
      if (pairedSurrogate) {
        i++;
        continue;
      }
      if (c == '\uFFFD' || (c < 0x20 && c != '\n' && c != '\r' && c != '\t' && c != '\f') || type == Character.PRIVATE_USE
          || type == Character.SURROGATE || type == Character.UNASSIGNED) {
        bad++;
      }
    }
    return bad > n / 20;
  }

  /** A reason for people, naming the kind of fault and never a stack trace. */
  static String reason(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof EncryptedDocumentException) {
        return "encrypted (password-protected)";
      }
      if (t instanceof ZeroByteFileException) {
        return "empty file";
      }
      if (t instanceof ExtractionHandler.TooLong) {
        return "its text is longer than the limit: " + t.getMessage();
      }
      if (WriteLimitReachedException.isWriteLimitReached(t)) {
        return "its text is longer than the write limit";
      }
      if (t instanceof AccessDeniedException) {
        return "permission denied";
      }
      String m = t.getMessage();
      if (m != null && m.toLowerCase(Locale.ROOT).contains("zip bomb")) {
        return "rejected as a zip bomb (" + m + ")";
      }
    }
    String m = e.getMessage();
    String kind = e instanceof TikaException ? "corrupt or unsupported file" : e.getClass().getSimpleName();
    return kind + (m == null ? "" : ": " + firstLine(m));
  }

  private static String firstLine(String s) {
    int nl = s.indexOf('\n');
    String line = nl < 0 ? s : s.substring(0, nl);
    return line.length() > 200 ? line.substring(0, 200) + "..." : line;
  }

  @Override
  public void close() {
    parsing.shutdownNow();
  }
}
