package dev.quarry;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/** File-tree helpers shared by the modules. */
public final class FileTrees {
  private FileTrees() {}

  /** Deletes {@code p} and everything below it; nothing happens if it does not exist. */
  public static void delete(Path p) {
    if (!Files.exists(p)) {
      return;
    }
    try (Stream<Path> s = Files.walk(p)) {
      for (Path x : s.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(x);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot delete " + p, e);
    }
  }
}
