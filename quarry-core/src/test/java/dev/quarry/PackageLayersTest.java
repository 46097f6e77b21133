package dev.quarry;

import java.util.Map;
import org.junit.jupiter.api.Test;

/** The package layering stated in {@code dev.quarry}'s package-info: imports only go down, so there are no cycles. */
class PackageLayersTest {
  @Test
  void importsOnlyGoDown() {
    PackageLayers.assertImportsGoDown(Map.ofEntries(Map.entry("", 0), Map.entry("io", 1), Map.entry("similarity", 2),
        Map.entry("tokenize", 2), Map.entry("inference", 2), Map.entry("modules", 2), Map.entry("data", 2), Map.entry("model", 3),
        Map.entry("encode", 4), Map.entry("chunk", 5), Map.entry("rerank", 5), Map.entry("search", 6), Map.entry("eval", 7), Map.entry("mine", 7)));
  }
}
