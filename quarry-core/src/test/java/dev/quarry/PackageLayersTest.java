package dev.quarry;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** The package layering stated in {@code dev.quarry}'s package-info: imports only go down, so there are no cycles. */
class PackageLayersTest {
  private static final Map<String, Integer> LAYER = Map.ofEntries(Map.entry("", 0), Map.entry("io", 1), Map.entry("similarity", 2),
      Map.entry("tokenize", 2), Map.entry("inference", 2), Map.entry("modules", 2), Map.entry("data", 2), Map.entry("model", 3),
      Map.entry("encode", 4), Map.entry("rerank", 5), Map.entry("search", 6), Map.entry("eval", 7), Map.entry("mine", 7));
  private static final Pattern REFERENCE = Pattern.compile("\\bdev\\.quarry\\.(?:([a-z]+)\\.)?[A-Z]");

  @Test
  void importsOnlyGoDown() throws IOException {
    Path root = Path.of("src", "main", "java", "dev", "quarry");
    List<String> violations = new ArrayList<>();
    try (Stream<Path> files = Files.walk(root)) {
      for (Path f : (Iterable<Path>) files.filter(p -> p.toString().endsWith(".java"))::iterator) {
        Path rel = root.relativize(f.getParent());
        String pkg = rel.toString().replace('/', '.');
        Integer own = LAYER.get(pkg);
        assertTrue(own != null, "package dev.quarry." + pkg + " has no layer in this test and the root package-info");
        String code = Files.readString(f).replaceAll("(?s)/\\*.*?\\*/", "").replaceAll("//[^\\n]*", "");
        Matcher m = REFERENCE.matcher(code);
        while (m.find()) {
          String target = m.group(1) == null ? "" : m.group(1);
          Integer layer = LAYER.get(target);
          if (!target.equals(pkg) && (layer == null || layer >= own && !target.isEmpty())) {
            violations.add(f.getFileName() + " (" + (pkg.isEmpty() ? "root" : pkg) + ") uses dev.quarry." + target);
          }
        }
      }
    }
    assertTrue(violations.isEmpty(), String.join("\n", violations));
  }
}
