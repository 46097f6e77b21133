package dev.quarry.inference;

import com.fasterxml.jackson.databind.JsonNode;
import dev.quarry.Digests;
import dev.quarry.QuarryException;
import dev.quarry.QuarryFailure;
import dev.quarry.io.Json;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

/**
 * ONNX graphs for folders that hold PyTorch weights only ({@code model.safetensors} and {@code
 * config.json}, what {@code save_pretrained} writes and most hub repositories carry), exported on
 * first use as sentence-transformers' {@code backend="onnx"} does, into {@code
 * <cache>/onnx-exports/<key>/model.onnx}.
 *
 * <p>The key is the SHA-256 of the weights and config.json together, so an edited folder exports
 * again and a copied one does not. A file lock (plus a lock per key inside this JVM, since file
 * locks are held per process) keeps two processes from exporting the same weights at once; the
 * graph is written to a temporary file and renamed, so a reader never sees half of one.
 *
 * <p>{@link OnnxBertExporter} builds BERT graphs only; other architectures are refused, naming
 * config.json's {@code model_type}.
 */
public final class OnnxExports {
  /** The folder under the cache that holds the exports. */
  public static final String DIR = "onnx-exports";
  private static final Map<String, Object> IN_PROCESS = new ConcurrentHashMap<>();
  /** Weight digests by path, size and modification time: a folder is hashed once per process. */
  private static final Map<String, String> DIGESTS = new ConcurrentHashMap<>();

  private OnnxExports() {}

  /** True when {@code transformerDir} has weights this class could export (any architecture). */
  public static boolean hasPyTorchWeights(Path transformerDir) {
    return Files.isRegularFile(transformerDir.resolve("model.safetensors"));
  }

  /**
   * The ONNX graph of the BERT encoder in {@code transformerDir}, exported now if this cache has
   * none for these weights. {@code progress} gets one line when an export runs.
   */
  public static Path graphFor(Path transformerDir, Path cacheDir, Consumer<String> progress) {
    return export(transformerDir, cacheDir, progress, false);
  }

  /**
   * As {@link #graphFor}, for a {@code *ForSequenceClassification} checkpoint (a cross-encoder):
   * the graph ends in the pooler and classifier, output {@code logits}.
   */
  public static Path classifierGraphFor(Path transformerDir, Path cacheDir, Consumer<String> progress) {
    return export(transformerDir, cacheDir, progress, true);
  }

  private static Path export(Path transformerDir, Path cacheDir, Consumer<String> progress, boolean classifier) {
    Path weights = transformerDir.resolve("model.safetensors");
    Path configFile = transformerDir.resolve("config.json");
    if (!Files.isRegularFile(configFile)) {
      throw new QuarryException("Missing file " + configFile + ": exporting " + weights + " to ONNX needs the model's config.json.");
    }
    JsonNode config = Json.read(configFile);
    String type = config.path("model_type").asText("");
    if (!type.equals("bert")) {
      throw new QuarryException(configFile + ": model_type '" + type + "' cannot be exported to ONNX by Quarry, which"
          + " builds BERT graphs only (model_type \"bert\"). Export it with `optimum-cli export onnx --model "
          + transformerDir + " --task feature-extraction " + transformerDir.resolve("onnx") + "`.");
    }
    int labels = classifier ? Math.max(1, sequenceClassificationLabels(config)) : 0;
    if (classifier && sequenceClassificationLabels(config) == 0) {
      throw new QuarryException(configFile + ": architectures " + config.path("architectures") + " has no"
          + " *ForSequenceClassification head, so these weights are not a cross-encoder.");
    }
    String key = key(weights, configFile, labels);
    Path dir = cacheDir.resolve(DIR).resolve(key);
    Path graph = dir.resolve("model.onnx");
    if (Files.isRegularFile(graph)) {
      return graph;
    }
    synchronized (IN_PROCESS.computeIfAbsent(key, k -> new Object())) {
      try {
        Files.createDirectories(dir);
        try (FileChannel lockFile = FileChannel.open(dir.resolve(".lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            FileLock lock = lockFile.lock()) {
          if (Files.isRegularFile(graph)) {
            return graph; // another process exported it while this one waited
          }
          long start = System.nanoTime();
          BertConfig bert = BertConfig.read(configFile);
          progress.accept(String.format(Locale.ROOT, "exporting %s to ONNX on first use (%d layers, hidden %d%s) -> %s",
              weights, bert.numHiddenLayers(), bert.hiddenSize(), labels > 0 ? ", classifier of " + labels + " labels" : "", graph));
          Path tmp = Files.createTempFile(dir, "model", ".onnx.part");
          try {
            if (labels > 0) {
              OnnxBertExporter.exportSequenceClassification(bert, BertWeights.fromSafetensorsWithClassifier(weights, bert, labels),
                  labels, tmp);
            } else {
              OnnxBertExporter.export(bert, BertWeights.fromSafetensors(weights, bert), tmp);
            }
            Files.move(tmp, graph, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
          } finally {
            Files.deleteIfExists(tmp);
          }
          progress.accept(String.format(Locale.ROOT, "exported in %.1f s", (System.nanoTime() - start) / 1e9));
          return graph;
        }
      } catch (IOException e) {
        throw new QuarryFailure("Cannot export " + weights + " to ONNX in " + dir + ": " + e.getMessage()
            + ". Set QUARRY_HOME to a writable folder.", e);
      }
    }
  }

  /**
   * The number of labels of a {@code *ForSequenceClassification} config.json (a cross-encoder:
   * {@code id2label}'s size, else {@code num_labels}, else transformers' default of 2), or 0 for
   * any other architecture (a bare encoder, exported with output {@code last_hidden_state}).
   */
  public static int sequenceClassificationLabels(JsonNode config) {
    boolean classifier = false;
    for (JsonNode a : config.path("architectures")) {
      classifier |= a.asText().endsWith("ForSequenceClassification");
    }
    if (!classifier) {
      return 0;
    }
    if (config.path("id2label").isObject() && !config.get("id2label").isEmpty()) {
      return config.get("id2label").size();
    }
    return config.path("num_labels").asInt(2);
  }

  /** Where the export of {@code transformerDir}'s weights lives (whether or not it exists yet). */
  public static Path graphPath(Path transformerDir, Path cacheDir) {
    return cacheDir.resolve(DIR).resolve(key(transformerDir.resolve("model.safetensors"), transformerDir.resolve("config.json"), 0))
        .resolve("model.onnx");
  }

  /** The weights, config.json and the head asked for (0: none; n: a classifier of n labels). */
  private static String key(Path weights, Path config, int labels) {
    try {
      var md = Digests.sha256();
      md.update(fileDigest(weights).getBytes(java.nio.charset.StandardCharsets.UTF_8));
      if (labels > 0) {
        md.update(("classifier:" + labels).getBytes(java.nio.charset.StandardCharsets.UTF_8));
      }
      md.update(Files.readAllBytes(config));
      return HexFormat.of().formatHex(md.digest()).substring(0, 32);
    } catch (IOException e) {
      throw new QuarryFailure("Cannot read " + weights + ": " + e.getMessage(), e);
    }
  }

  private static String fileDigest(Path file) throws IOException {
    Path real = file.toRealPath();
    String id = real + "|" + Files.size(real) + "|" + Files.getLastModifiedTime(real).toMillis();
    String cached = DIGESTS.get(id);
    if (cached == null) {
      cached = Digests.sha256Hex(real);
      DIGESTS.put(id, cached);
    }
    return cached;
  }
}
