package dev.quarry.model;

import com.fasterxml.jackson.databind.JsonNode;
import dev.quarry.Quarry;
import dev.quarry.QuarryException;
import dev.quarry.inference.OnnxExports;
import dev.quarry.io.Json;
import dev.quarry.modules.Dense;
import dev.quarry.modules.ModuleType;
import dev.quarry.modules.TransformerConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A cross-encoder (reranker) folder, parsed as sentence-transformers 6's {@code CrossEncoder(path)}
 * reads it, in both dialects it writes:
 *
 * <ul>
 *   <li><b>classic</b> (what {@code cross-encoder/ms-marco-MiniLM-L6-v2} and most hub rerankers
 *       are): a transformers {@code *ForSequenceClassification} folder without {@code modules.json};
 *   <li><b>modular</b> (5.4 and later): {@code modules.json} with one Transformer whose {@code
 *       transformer_task} is {@code sequence-classification}; {@code config_sentence_transformers.json}
 *       says {@code model_type: CrossEncoder} and holds {@code activation_fn}.
 * </ul>
 *
 * <p>The activation is looked up as {@code CrossEncoder} does: {@code activation_fn} in
 * config_sentence_transformers.json, then config.json's {@code sentence_transformers.activation_fn},
 * then the pre-v4 {@code sbert_ce_default_activation_function}; with none saved, Sigmoid for one
 * label and Identity for several ({@code get_default_activation_fn}). The maximum length follows the
 * same rule as a bi-encoder's Transformer ({@link TransformerConfig}).
 *
 * @param labels the classifier's label names ({@code id2label}), one per logit
 * @param activation applied to each logit after it is upcast to float32
 * @param activationSource the file and field the activation came from, or "default"
 * @param dialect {@code classic} or {@code modular}
 */
public record CrossEncoderFolder(
    Path root,
    String modelId,
    Path transformerDir,
    Path onnxFile,
    Path tokenizerFile,
    int maxLength,
    String maxLengthSource,
    boolean doLowerCase,
    List<String> labels,
    Dense.Activation activation,
    String activationSource,
    String dialect) {

  public int numLabels() {
    return labels.size();
  }

  /**
   * The same cross-encoder running another ONNX file of its folder ({@code onnx/<name>}, e.g. the
   * int8 file {@code quarry quantize} writes), as sentence-transformers' {@code
   * model_kwargs={"file_name": ...}}.
   */
  public CrossEncoderFolder withOnnxFile(String fileName) {
    Path file = firstExisting(transformerDir.resolve("onnx").resolve(fileName), transformerDir.resolve(fileName),
        root.resolve("onnx").resolve(fileName));
    if (file == null || !file.toAbsolutePath().normalize().startsWith(root.toAbsolutePath().normalize())) {
      throw new QuarryException("No ONNX file '" + fileName + "' in " + root.resolve("onnx")
          + (fileName.contains("qint8") ? ". Write one with `quarry quantize --model " + root + "`." : "."));
    }
    return new CrossEncoderFolder(root, modelId, transformerDir, file, tokenizerFile, maxLength, maxLengthSource, doLowerCase,
        labels, activation, activationSource, dialect);
  }

  /** Reads a cross-encoder folder, exporting model.safetensors to ONNX under {@link Quarry#home()} if it has no graph. */
  public static CrossEncoderFolder read(Path root, String modelId) {
    return read(root, modelId, Quarry.home());
  }

  /** As {@link #read(Path, String)}, with exports kept under {@code cacheDir}. */
  public static CrossEncoderFolder read(Path root, String modelId, Path cacheDir) {
    if (!Files.isDirectory(root)) {
      throw new QuarryException("Cross-encoder folder " + root + " does not exist.");
    }
    ModelKind kind = ModelKind.detect(root);
    if (!kind.name().equals(ModelKind.CROSS_ENCODER)) {
      throw new QuarryException(root + " holds a " + kind.name() + " (per " + kind.evidence() + "), not a CrossEncoder:"
          + " a reranker scores query-passage pairs with a classification head. Pass a bi-encoder as --model, and a"
          + " cross-encoder (e.g. one `quarry train-reranker` wrote) as the reranker.");
    }
    Path modulesFile = root.resolve("modules.json");
    Path transformerDir = root;
    String dialect = "classic";
    if (Files.isRegularFile(modulesFile)) {
      dialect = "modular";
      JsonNode modules = Json.read(modulesFile);
      for (int i = 0; i < modules.size(); i++) {
        String type = modules.get(i).path("type").asText("");
        String where = modulesFile + " entry " + i;
        if (type.endsWith(".LogitScore")) {
          throw new QuarryException("Module type '" + type + "' in " + where + " is a causal-LM reranker's scoring head;"
              + " Quarry runs sequence-classification cross-encoders only.");
        }
        if (i > 0 || ModuleType.of(type) != ModuleType.TRANSFORMER) {
          throw new QuarryException("Module type '" + type + "' in " + where + " is not supported in a cross-encoder:"
              + " Quarry runs one sequence-classification Transformer.");
        }
        transformerDir = root.resolve(modules.get(i).path("path").asText(""));
      }
    }
    TransformerConfig tc = TransformerConfig.readFolder(transformerDir, TransformerConfig.SEQUENCE_CLASSIFICATION);
    Path configFile = transformerDir.resolve("config.json");
    JsonNode config = Json.read(configFile);
    int n = OnnxExports.sequenceClassificationLabels(config);
    if (n <= 0) {
      throw new QuarryException(configFile + ": architectures " + config.path("architectures")
          + " has no *ForSequenceClassification head, which a cross-encoder needs.");
    }
    List<String> labels = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      labels.add(config.path("id2label").path(Integer.toString(i)).asText("LABEL_" + i));
    }
    Path onnx = firstExisting(transformerDir.resolve("onnx/model.onnx"), transformerDir.resolve("model.onnx"));
    if (onnx == null) {
      if (!OnnxExports.hasPyTorchWeights(transformerDir)) {
        throw new QuarryException("No weights in " + transformerDir + ": expected onnx/model.onnx, model.onnx or model.safetensors.");
      }
      onnx = OnnxExports.classifierGraphFor(transformerDir, cacheDir, line -> System.getLogger(CrossEncoderFolder.class.getName())
          .log(System.Logger.Level.INFO, line));
    }
    Path tokenizer = firstExisting(transformerDir.resolve("tokenizer.json"), root.resolve("tokenizer.json"));
    if (tokenizer == null) {
      throw new QuarryException("Missing file " + transformerDir.resolve("tokenizer.json")
          + ": Quarry needs the fast-tokenizer file; save it with tokenizer.save_pretrained().");
    }
    String[] activation = activation(root, config, configFile, n);
    return new CrossEncoderFolder(root, modelId, transformerDir, onnx, tokenizer, tc.maxSeqLength(), tc.maxSeqLengthSource(),
        tc.doLowerCase(), List.copyOf(labels), Dense.Activation.fromTorchName(activation[0], activation[1]), activation[1], dialect);
  }

  /** The activation's torch class name and where it was found. */
  private static String[] activation(Path root, JsonNode config, Path configFile, int labels) {
    Path cstFile = root.resolve("config_sentence_transformers.json");
    JsonNode cst = Json.readIfExists(cstFile);
    if (cst != null && cst.hasNonNull("activation_fn")) {
      return new String[] {cst.get("activation_fn").asText(), cstFile.getFileName() + " activation_fn"};
    }
    JsonNode fromConfig = config.path("sentence_transformers").get("activation_fn");
    if (fromConfig != null && !fromConfig.isNull()) {
      return new String[] {fromConfig.asText(), "config.json sentence_transformers.activation_fn"};
    }
    if (config.hasNonNull("sbert_ce_default_activation_function")) {
      return new String[] {config.get("sbert_ce_default_activation_function").asText(), "config.json sbert_ce_default_activation_function"};
    }
    return labels == 1 ? new String[] {"torch.nn.modules.activation.Sigmoid", "default for one label"}
        : new String[] {"torch.nn.modules.linear.Identity", "default for " + labels + " labels"};
  }

  private static Path firstExisting(Path... candidates) {
    for (Path p : candidates) {
      if (Files.isRegularFile(p)) {
        return p;
      }
    }
    return null;
  }
}
