package dev.quarry.train;

import dev.quarry.encode.SentenceTransformer;
import dev.quarry.model.ModelFolder;

/** The built-in models for training tests: core's shared test helper, plus what parity checks need. */
public final class TestModels {
  public static final String MINILM = dev.quarry.TestModels.MINILM;
  public static final String BGE = dev.quarry.TestModels.BGE;
  public static final String E5 = dev.quarry.TestModels.E5;

  private TestModels() {}

  public static ModelFolder folder(String id) {
    return ModelFolder.read(dev.quarry.TestModels.folder(id), id);
  }

  /** The ONNX Runtime model: the reference the trainable encoder must agree with. */
  public static SentenceTransformer onnx(String id) {
    return dev.quarry.TestModels.model(id);
  }

  public static float maxAbsDiff(float[][] a, float[][] b) {
    float max = 0;
    for (int i = 0; i < a.length; i++) {
      for (int j = 0; j < a[i].length; j++) {
        max = Math.max(max, Math.abs(a[i][j] - b[i][j]));
      }
    }
    return max;
  }
}
