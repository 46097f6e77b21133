package dev.quarry;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.Properties;

/** Facts about this build of Quarry. */
public final class Quarry {
  /** The project version, as Maven built it (recorded in the model folders Quarry writes). */
  public static final String VERSION = readVersion();

  private Quarry() {}

  /**
   * Quarry's cache folder: {@code $QUARRY_HOME}, else {@code ~/.cache/quarry} (built-in models,
   * hub snapshots, ONNX exports, embedding caches, indexes).
   */
  public static Path home() {
    String home = System.getenv("QUARRY_HOME");
    return home != null && !home.isBlank() ? Path.of(home) : Path.of(System.getProperty("user.home"), ".cache", "quarry");
  }

  private static String readVersion() {
    try (InputStream in = Quarry.class.getResourceAsStream("quarry.properties")) {
      Properties p = new Properties();
      if (in != null) {
        p.load(in);
      }
      return p.getProperty("version", "unknown");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
