package dev.quarry.modules;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** sentence-transformers' {@code models.Normalize}: L2 normalisation, as torch F.normalize (eps 1e-12). */
public final class Normalize implements SentenceModule {
  /** The module's type in modules.json; its folder holds no files. */
  public static final String TYPE = "sentence_transformers.models.Normalize";
  public static final Normalize INSTANCE = new Normalize();

  @Override
  public ModuleType type() {
    return ModuleType.NORMALIZE;
  }

  /** An empty folder: Normalize has no parameters. */
  @Override
  public void save(Path dir) throws IOException {
    Files.createDirectories(dir);
  }

  /** The module of a Normalize folder (it holds no files). */
  public static Normalize readFolder(Path dir) {
    return INSTANCE;
  }

  @Override
  public float[] apply(float[] v) {
    l2NormalizeInPlace(v);
    return v;
  }

  @Override
  public int outputDimension(int inputDimension) {
    return inputDimension;
  }

  /** Divides by max(‖v‖, 1e-12), so a zero vector stays zero instead of becoming NaN. */
  public static void l2NormalizeInPlace(float[] v) {
    double s = 0;
    for (float x : v) {
      s += (double) x * x;
    }
    double norm = Math.max(Math.sqrt(s), 1e-12);
    for (int i = 0; i < v.length; i++) {
      v[i] = (float) (v[i] / norm);
    }
  }
}
