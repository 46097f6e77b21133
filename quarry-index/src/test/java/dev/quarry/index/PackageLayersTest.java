package dev.quarry.index;

import dev.quarry.PackageLayers;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The passage-store layer below its engines: {@code dev.quarry.index} never uses {@code index.lucene}. */
class PackageLayersTest {
  @Test
  void importsOnlyGoDown() {
    PackageLayers.assertImportsGoDown(Map.of("index", 0, "index.lucene", 1));
  }
}
