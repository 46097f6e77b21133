package dev.quarry.documents;

import dev.quarry.PackageLayers;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PackageLayersTest {
  @Test
  void importsGoDown() {
    PackageLayers.assertImportsGoDown(Map.of("documents", 0));
  }
}
