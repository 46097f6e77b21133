package dev.quarry.train;

import dev.quarry.PackageLayers;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Training's packages, lowest first: data and the native bert helpers; optimiser, network and losses over them; the exporter (which knows losses only by their cards); the trainer on top. */
class PackageLayersTest {
  @Test
  void importsOnlyGoDown() {
    PackageLayers.assertImportsGoDown(Map.of("train.examples", 0, "train.bert", 0, "train.optim", 1, "train.network", 1, "train.loss", 1, "train.export", 2, "train", 3));
  }
}
