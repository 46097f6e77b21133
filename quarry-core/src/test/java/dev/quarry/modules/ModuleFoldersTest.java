package dev.quarry.modules;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.quarry.io.Json;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Each module saves the folder it loads from, in sentence-transformers' layout. */
class ModuleFoldersTest {
  @Test
  void denseSavesWhatItLoads(@TempDir Path tmp) throws Exception {
    Random r = new Random(7);
    int in = 6;
    int out = 4;
    float[] w = new float[in * out];
    float[] b = new float[out];
    for (int i = 0; i < w.length; i++) {
      w[i] = (float) r.nextGaussian();
    }
    for (int i = 0; i < b.length; i++) {
      b[i] = (float) r.nextGaussian();
    }
    for (Dense.Activation act : Dense.Activation.values()) {
      for (float[] bias : new float[][] {b, null}) {
        Dense dense = new Dense(w.clone(), bias == null ? null : bias.clone(), in, out, act);
        Path dir = tmp.resolve(act + "-" + (bias != null));
        dense.save(dir);
        JsonNode cfg = Json.read(dir.resolve("config.json"));
        assertEquals(in, cfg.get("in_features").asInt());
        assertEquals(out, cfg.get("out_features").asInt());
        assertEquals(bias != null, cfg.get("bias").asBoolean());
        SentenceModule loaded = ModuleType.DENSE.load(dir);
        float[] x = {0.5f, -1f, 2f, 0.25f, -0.75f, 1.5f};
        assertArrayEquals(dense.apply(x.clone()), loaded.apply(x.clone()), 0f, act + " bias " + (bias != null));
      }
    }
  }

  @Test
  void normalizeSavesAnEmptyFolderAndModulesJsonNamesEveryModule(@TempDir Path tmp) throws Exception {
    Normalize.INSTANCE.save(tmp.resolve("2_Normalize"));
    assertTrue(Files.isDirectory(tmp.resolve("2_Normalize")));
    assertSame(Normalize.INSTANCE, ModuleType.NORMALIZE.load(tmp.resolve("2_Normalize")));
    ModulesFile.write(tmp, List.of(new ModulesFile.Entry("", ModuleType.TRANSFORMER), new ModulesFile.Entry("1_Pooling", ModuleType.POOLING),
        new ModulesFile.Entry("2_Normalize", ModuleType.NORMALIZE)));
    JsonNode modules = Json.read(tmp.resolve("modules.json"));
    assertEquals(3, modules.size());
    for (int i = 0; i < 3; i++) {
      assertEquals(i, modules.get(i).get("idx").asInt());
    }
    assertEquals(ModuleType.NORMALIZE, ModuleType.of(modules.get(2).get("type").asText()));
    assertEquals("2_Normalize", ModulesFile.folderName(2, ModuleType.NORMALIZE));
  }
}
