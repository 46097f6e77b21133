package dev.quarry;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Checks a module's package layering: every package under {@code dev.quarry} has a layer, and a
 * class uses only its own package and those of lower layers, so the packages form no cycle.
 * Packages of other modules are not checked here: Maven's module graph already orders them.
 * Shared by every module's {@code PackageLayersTest} through quarry-core's test jar.
 */
public final class PackageLayers {
  private static final Pattern REFERENCE = Pattern.compile("\\bdev\\.quarry\\.((?:[a-z0-9]+\\.)*)[A-Z]");

  private PackageLayers() {}

  /**
   * @param layers package (relative to {@code dev.quarry}, "" for the root, "index.lucene") to layer;
   *     a package may use only packages of a lower layer
   */
  public static void assertImportsGoDown(Map<String, Integer> layers) {
    Path root = Path.of("src", "main", "java", "dev", "quarry");
    List<String> violations = new ArrayList<>();
    try (Stream<Path> files = Files.walk(root)) {
      for (Path f : (Iterable<Path>) files.filter(p -> p.toString().endsWith(".java"))::iterator) {
        String pkg = root.relativize(f.getParent()).toString().replace('/', '.');
        Integer own = layers.get(pkg);
        assertTrue(own != null, "package dev.quarry." + pkg + " has no layer in this module's PackageLayersTest and package-info");
        String code = Files.readString(f).replaceAll("(?s)/\\*.*?\\*/", "").replaceAll("//[^\\n]*", "");
        Matcher m = REFERENCE.matcher(code);
        while (m.find()) {
          String target = m.group(1).isEmpty() ? "" : m.group(1).substring(0, m.group(1).length() - 1);
          Integer layer = layers.get(target);
          if (layer != null && !target.equals(pkg) && layer >= own) {
            violations.add(f.getFileName() + " (" + (pkg.isEmpty() ? "root" : pkg) + ") uses dev.quarry." + target);
          }
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    assertTrue(violations.isEmpty(), String.join("\n", violations));
  }
}
