package dev.quarry.documents;

import dev.quarry.Digests;
import dev.quarry.QuarryException;
import dev.quarry.index.SourceSync.Extracted;
import dev.quarry.index.SourceSync.Problem;
import dev.quarry.index.SourceSync.Source;
import dev.quarry.index.SourceSync.Unreadable;
import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemLoopException;
import java.nio.file.FileSystems;
import java.nio.file.FileVisitOption;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * The files under one or more paths, as sources for {@link dev.quarry.index.SourceSync}: walked in
 * name order, symbolic links followed (a link loop is reported, not followed forever), hidden files
 * and folders ({@code .git} among them) skipped unless asked for, and filtered by glob patterns on
 * the path under the root. A folder that cannot be listed is reported, and its files are kept in
 * the index rather than deleted.
 *
 * <p>A file's document id is its path under its root, with '/' separators; with several roots each
 * id starts with its root's name, so ids do not clash.
 */
public final class FolderSources {
  /** The formats read when no {@code --include} is given, by extension (any case). */
  public static final Set<String> DEFAULT_EXTENSIONS = Set.of("txt", "text", "md", "markdown", "rst", "html", "htm", "xhtml", "pdf", "doc",
      "docx", "odt", "rtf", "epub", "ppt", "pptx", "odp", "csv", "tsv");

  /**
   * What to walk and which files to take.
   *
   * @param include glob patterns on the path under the root ({@code **.pdf}); empty: the {@link
   *     #DEFAULT_EXTENSIONS}
   * @param hidden also walk hidden files and folders (names starting with '.')
   */
  public record Options(List<String> include, List<String> exclude, boolean hidden) {
    public static Options defaults() {
      return new Options(List.of(), List.of(), false);
    }
  }

  private final List<Source> files = new ArrayList<>();
  private final List<Problem> problems = new ArrayList<>();
  private final List<String> unreadableFolders = new ArrayList<>();

  private FolderSources() {}

  /** Walks {@code roots}; each file becomes a source read through {@code extractor}. */
  public static FolderSources walk(List<Path> roots, Options options, DocumentExtractor extractor) {
    FolderSources out = new FolderSources();
    List<PathMatcher> include = options.include().stream().map(FolderSources::glob).toList();
    List<PathMatcher> exclude = options.exclude().stream().map(FolderSources::glob).toList();
    for (Path root : roots) {
      Path r = root.toAbsolutePath().normalize();
      if (!Files.exists(r)) {
        throw new QuarryException("No such file or folder: " + root);
      }
      String prefix = roots.size() > 1 ? r.getFileName() + "/" : "";
      if (Files.isRegularFile(r)) {
        out.files.add(new FileSource(prefix + r.getFileName(), r, extractor));
        continue;
      }
      try {
        Files.walkFileTree(r, EnumSet.of(FileVisitOption.FOLLOW_LINKS), Integer.MAX_VALUE, new SimpleFileVisitor<>() {
          @Override
          public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) {
            return !dir.equals(r) && !options.hidden() && hidden(dir) ? FileVisitResult.SKIP_SUBTREE : FileVisitResult.CONTINUE;
          }

          @Override
          public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
            Path rel = r.relativize(file);
            if (!attrs.isRegularFile() || (!options.hidden() && hidden(file))) {
              return FileVisitResult.CONTINUE;
            }
            boolean wanted = include.isEmpty() ? DEFAULT_EXTENSIONS.contains(extension(file)) : include.stream().anyMatch(m -> m.matches(rel));
            if (wanted && exclude.stream().noneMatch(m -> m.matches(rel))) {
              out.files.add(new FileSource(prefix + slashes(rel), file, extractor));
            }
            return FileVisitResult.CONTINUE;
          }

          @Override
          public FileVisitResult visitFileFailed(Path file, IOException e) {
            String rel = prefix + slashes(r.relativize(file));
            if (e instanceof FileSystemLoopException) {
              out.problems.add(new Problem(file.toString(), "symbolic link loop (points back to " + e.getMessage() + "), not followed"));
            } else {
              out.problems.add(new Problem(file.toString(), e instanceof AccessDeniedException ? "permission denied" : e.toString()));
              // Whatever it held stays indexed until it can be read.
              out.unreadableFolders.add(Files.isDirectory(file) ? rel + "/" : rel);
            }
            return FileVisitResult.CONTINUE;
          }
        });
      } catch (IOException e) {
        throw new QuarryException("Cannot walk " + root + ": " + e.getMessage(), e);
      }
    }
    out.files.sort((a, b) -> a.id().compareTo(b.id()));
    return out;
  }

  /** The files found, in id order. */
  public List<Source> files() {
    return files;
  }

  /** What the walk could not look at. */
  public List<Problem> problems() {
    return problems;
  }

  /** Id prefixes of folders (and files) that could not be read: their indexed chunks are kept. */
  public List<String> unreadableFolders() {
    return unreadableFolders;
  }

  private static String extension(Path p) {
    String name = p.getFileName().toString();
    int dot = name.lastIndexOf('.');
    return dot < 0 ? "" : name.substring(dot + 1).toLowerCase(Locale.ROOT);
  }

  private static boolean hidden(Path p) {
    Path name = p.getFileName();
    return name != null && name.toString().startsWith(".");
  }

  private static String slashes(Path rel) {
    return rel.toString().replace(rel.getFileSystem().getSeparator(), "/");
  }

  private static PathMatcher glob(String pattern) {
    return FileSystems.getDefault().getPathMatcher("glob:" + pattern);
  }

  /** One file as a source. */
  record FileSource(String id, Path file, DocumentExtractor extractor) implements Source {
    @Override
    public String path() {
      return file.toString();
    }

    @Override
    public long size() {
      return read(() -> Files.size(file));
    }

    @Override
    public long mtime() {
      return read(() -> Files.getLastModifiedTime(file).toMillis());
    }

    @Override
    public String sha256() {
      return read(() -> Digests.sha256Hex(file));
    }

    /** A file-system read whose failure (permission denied, the file gone) makes the file unreadable, with the reason. */
    private static <T> T read(FileRead<T> r) {
      try {
        return r.get();
      } catch (IOException e) {
        throw new Unreadable(DocumentExtractor.reason(e));
      }
    }

    @Override
    public Extracted extract() {
      return extractor.extract(file);
    }
  }

  @FunctionalInterface
  private interface FileRead<T> {
    T get() throws IOException;
  }
}
