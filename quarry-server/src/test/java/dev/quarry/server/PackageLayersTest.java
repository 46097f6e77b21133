package dev.quarry.server;

import dev.quarry.PackageLayers;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** One package: the check keeps a new one from arriving without a layer. */
class PackageLayersTest {
  @Test
  void importsOnlyGoDown() {
    PackageLayers.assertImportsGoDown(Map.of("server", 0));
  }
}
