package dev.quarry.spark;

import dev.quarry.encode.RuntimeOptions;
import dev.quarry.encode.SentenceTransformer;
import dev.quarry.model.ModelFolder;
import dev.quarry.model.ModelResolver;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.spark.SparkEnv;
import org.apache.spark.SparkFiles;

/**
 * One {@link SentenceTransformer} per executor JVM and model, created by the first task that needs
 * it and shared by every task after it (the model is thread-safe). Loading costs seconds and
 * hundreds of MB; a model per task would pay both for every partition.
 */
final class ExecutorModels {
  private static final ConcurrentHashMap<String, SentenceTransformer> MODELS = new ConcurrentHashMap<>();

  private ExecutorModels() {}

  static SentenceTransformer get(String spec) {
    return get(spec, null);
  }

  /**
   * The model with {@code onnxFile} (e.g. {@code model_qint8_avx512_vnni.onnx}) as its graph instead of
   * the default one; null for the default. Each (model, file) pair is its own shared instance.
   */
  static SentenceTransformer get(String spec, String onnxFile) {
    return MODELS.computeIfAbsent(onnxFile == null ? spec : spec + " | onnx file " + onnxFile, key -> {
      ModelFolder folder = resolve(spec);
      return SentenceTransformer.load(onnxFile == null ? folder : folder.withOnnxFile(onnxFile), runtime());
    });
  }

  /**
   * A folder every node sees, a folder shipped with {@code --archives model.zip#NAME} or {@code
   * --files} (found through SparkFiles or in the task's working directory), a built-in id, or a hub
   * id already in the node's cache.
   */
  static ModelFolder resolve(String spec) {
    if (!Files.isDirectory(Path.of(spec)) && SparkEnv.get() != null) {
      Path shipped = Path.of(SparkFiles.get(spec));
      if (Files.isDirectory(shipped)) {
        return ModelFolder.read(shipped, spec);
      }
    }
    return ModelResolver.defaults().resolve(spec);
  }

  /**
   * ONNX Runtime threads per task = the cores Spark gives a task ({@code spark.task.cpus}, 1 by
   * default). An executor of C cores runs C tasks at once over the shared model, so the machine
   * runs C inference threads, not C × cores.
   */
  static RuntimeOptions runtime() {
    int taskCpus = SparkEnv.get() == null ? 1 : SparkEnv.get().conf().getInt("spark.task.cpus", 1);
    return RuntimeOptions.defaults().withThreads(taskCpus).withConcurrentBatches(false);
  }
}
