package dev.quarry.modules;

import java.io.IOException;
import java.nio.file.Path;

/**
 * A sentence-level module that runs after pooling (Dense, Normalize), in modules.json order. Each
 * loads ({@link ModuleType#load}) and saves its own folder, as sentence-transformers' modules do,
 * so the folder reader and writer never know a module's files.
 */
public interface SentenceModule {
  /** Transforms one sentence embedding; may return the same array, changed in place. */
  float[] apply(float[] embedding);

  /** Output dimension given the input dimension. */
  int outputDimension(int inputDimension);

  /** What modules.json calls it. */
  ModuleType type();

  /** Writes the module's folder (its config and weights) into {@code dir}, which it creates. */
  void save(Path dir) throws IOException;
}
