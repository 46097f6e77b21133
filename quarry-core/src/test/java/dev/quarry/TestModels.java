package dev.quarry;

import dev.quarry.encode.RuntimeOptions;
import dev.quarry.encode.SentenceTransformer;
import dev.quarry.inference.BertConfig;
import dev.quarry.inference.BertWeights;
import dev.quarry.io.SafetensorsWriter;
import dev.quarry.io.Tensor;
import dev.quarry.model.BuiltinModels;
import dev.quarry.model.ModelFolder;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

/** The real built-in models, laid out once per build under target/, shared by all tests. */
public final class TestModels {
  public static final String MINILM = "sentence-transformers/all-MiniLM-L6-v2";
  public static final String BGE = "BAAI/bge-small-en-v1.5";
  public static final String E5 = "intfloat/e5-small-v2";

  /** Over 300 word-pieces in every built-in tokenizer: truncating at any length but the model's changes its vector. */
  public static final String LONG_TEXT = String.join(" ", java.util.Collections.nCopies(40,
      "Gradient checkpointing trades compute for memory by recomputing activations during the backward pass."));
  /** Texts that exercise the tokenizer: accents, ligatures, CJK, emoji, tabs, and one long text last. */
  public static final java.util.List<String> PROBES = java.util.List.of("What is retrieval-augmented generation?",
      "Café naïve résumé — ﬁne ligatures", "東京の天気はどうですか", "emoji 🙂 and\ttabs", LONG_TEXT);

  private static final Path CACHE = Path.of("target", "quarry-home").toAbsolutePath();
  private static final Map<String, SentenceTransformer> LOADED = new ConcurrentHashMap<>();

  private TestModels() {}

  public static Path folder(String id) {
    return BuiltinModels.materialize(id, CACHE);
  }

  /** A loaded model, shared across tests (thread-safe, never closed before the JVM ends). */
  public static SentenceTransformer model(String id) {
    return LOADED.computeIfAbsent(id, k -> SentenceTransformer.load(ModelFolder.read(folder(k), k), RuntimeOptions.defaults()));
  }

  /**
   * A copy of a built-in model folder in {@code dir} (large files linked, not copied) that
   * {@code edit} may change, for tests of other configurations and of broken folders.
   */
  public static Path copyOf(String id, Path dir, Consumer<Path> edit) {
    Path src = folder(id);
    try (var files = Files.walk(src)) {
      for (Path p : (Iterable<Path>) files::iterator) {
        Path target = dir.resolve(src.relativize(p).toString());
        if (Files.isDirectory(p)) {
          Files.createDirectories(target);
        } else if (Files.size(p) > 1_000_000) {
          Files.createSymbolicLink(target, p);
        } else {
          Files.copy(p, target);
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    edit.accept(dir);
    return dir;
  }

  public static void write(Path file, String content) {
    try {
      Files.createDirectories(file.getParent());
      Files.deleteIfExists(file);
      Files.writeString(file, content);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
  /**
   * A classic cross-encoder folder (transformers' BertForSequenceClassification, no modules.json)
   * built from all-MiniLM-L6-v2's encoder and a seeded classification head of {@code labels}
   * labels, with model.safetensors and no ONNX file; {@code activation} goes into config.json's
   * {@code sentence_transformers.activation_fn} when not null. No cross-encoder ships on Maven
   * Central: its scores mean nothing, its mechanics are real.
   */
  public static Path crossEncoder(Path dir, int labels, String activation) {
    try {
      Path src = folder(MINILM);
      BertConfig config = BertConfig.read(src.resolve("config.json"));
      Map<String, Tensor> weights = new LinkedHashMap<>();
      BertWeights.fromOnnx(src.resolve("onnx/model.onnx"), config).tensors().forEach((k, v) -> weights.put("bert." + k, v));
      Random rnd = new Random(7);
      int h = config.hiddenSize();
      weights.put("bert.pooler.dense.weight", random(rnd, 0.05, h, h));
      weights.put("bert.pooler.dense.bias", random(rnd, 0.02, h));
      weights.put("classifier.weight", random(rnd, 0.3, labels, h));
      weights.put("classifier.bias", random(rnd, 0.1, labels));
      Files.createDirectories(dir);
      SafetensorsWriter.write(dir.resolve("model.safetensors"), weights);
      Files.copy(src.resolve("tokenizer.json"), dir.resolve("tokenizer.json"));
      StringBuilder id2label = new StringBuilder();
      for (int i = 0; i < labels; i++) {
        id2label.append(i > 0 ? ", " : "").append("\"").append(i).append("\": \"LABEL_").append(i).append("\"");
      }
      String cfg = Files.readString(src.resolve("config.json")).strip();
      cfg = cfg.substring(0, cfg.length() - 1).replace("\"architectures\": [\"BertModel\"]",
          "\"architectures\": [\"BertForSequenceClassification\"]") + ", \"num_labels\": " + labels + ", \"id2label\": {" + id2label + "}"
          + (activation != null ? ", \"sentence_transformers\": {\"activation_fn\": \"" + activation + "\"}" : "") + "}";
      Files.writeString(dir.resolve("config.json"), cfg);
      Files.writeString(dir.resolve("tokenizer_config.json"), "{\"model_max_length\": 512, \"do_lower_case\": true}");
      return dir;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static Tensor random(Random rnd, double scale, int... shape) {
    int n = Arrays.stream(shape).reduce(1, (a, b) -> a * b);
    float[] v = new float[n];
    for (int i = 0; i < n; i++) {
      v[i] = (float) (rnd.nextGaussian() * scale);
    }
    return new Tensor(Arrays.stream(shape).asLongStream().toArray(), v);
  }

}
