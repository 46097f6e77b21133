package dev.quarry.train;

import dev.quarry.encode.RuntimeOptions;
import dev.quarry.encode.SentenceTransformer;
import dev.quarry.model.BuiltinModels;
import dev.quarry.model.ModelFolder;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** The real built-in models, laid out once per build under target/, shared by the tests. */
public final class TestModels {
  public static final String MINILM = "sentence-transformers/all-MiniLM-L6-v2";
  public static final String BGE = "BAAI/bge-small-en-v1.5";
  public static final String E5 = "intfloat/e5-small-v2";

  private static final Path CACHE = Path.of("target", "quarry-home").toAbsolutePath();
  private static final Map<String, SentenceTransformer> LOADED = new ConcurrentHashMap<>();

  private TestModels() {}

  public static ModelFolder folder(String id) {
    return ModelFolder.read(BuiltinModels.materialize(id, CACHE), id);
  }

  /** The ONNX Runtime model: the reference the trainable encoder must agree with. */
  public static SentenceTransformer onnx(String id) {
    return LOADED.computeIfAbsent(id, k -> SentenceTransformer.load(folder(k), RuntimeOptions.defaults()));
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
