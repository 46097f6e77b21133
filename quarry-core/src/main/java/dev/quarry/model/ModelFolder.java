package dev.quarry.model;

import com.fasterxml.jackson.databind.JsonNode;
import dev.quarry.QuarryException;
import dev.quarry.io.Json;
import dev.quarry.modules.Dense;
import dev.quarry.modules.Normalize;
import dev.quarry.modules.PoolingConfig;
import dev.quarry.modules.PoolingMode;
import dev.quarry.modules.SentenceModule;
import dev.quarry.similarity.SimilarityFunction;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * A sentence-transformers model folder, parsed: what {@code SentenceTransformer(path)} reads in
 * Python, with the transformer's weights taken from an ONNX export instead of PyTorch.
 *
 * @param root the folder
 * @param modelId a display id (hub id for built-in and hub models, else the folder name)
 * @param transformerDir the Transformer module's folder (config.json, weights; usually the root)
 * @param onnxFile the transformer graph ({@code onnx/model.onnx} or {@code model.onnx}); null only
 *     from {@link #readForTraining}, for a folder with PyTorch weights alone
 * @param tokenizerFile {@code tokenizer.json}
 * @param maxSeqLength tokens kept per text, special tokens included
 * @param doLowerCase lower-case texts before tokenising (sentence_bert_config.json)
 * @param pooling the Pooling module's config
 * @param sentenceModules the modules after pooling (Dense, Normalize), in modules.json order
 * @param prompts named prompts from config_sentence_transformers.json
 * @param defaultPromptName the prompt applied when none is chosen, or null
 * @param similarity the model's similarity function (sentence-transformers defaults to cosine)
 * @param vocabSize the embedding table size from config.json, or -1 if unknown
 */
public record ModelFolder(
    Path root,
    String modelId,
    Path transformerDir,
    Path onnxFile,
    Path tokenizerFile,
    int maxSeqLength,
    boolean doLowerCase,
    PoolingConfig pooling,
    List<SentenceModule> sentenceModules,
    Map<String, String> prompts,
    String defaultPromptName,
    SimilarityFunction similarity,
    int vocabSize) {

  /** The transformer module's type in modules.json (the other modules name their own: Pooling, Dense, Normalize). */
  public static final String TRANSFORMER = "sentence_transformers.models.Transformer";

  /** Output dimension after every module. */
  public int dimension() {
    int dim = pooling.outputDimension();
    for (SentenceModule m : sentenceModules) {
      dim = m.outputDimension(dim);
    }
    return dim;
  }

  /** The same model with texts truncated at {@code tokens} (sentence-transformers' {@code model.max_seq_length = n}). */
  public ModelFolder withMaxSeqLength(int tokens) {
    if (tokens <= 0) {
      throw new QuarryException("max_seq_length must be positive, not " + tokens);
    }
    return new ModelFolder(root, modelId, transformerDir, onnxFile, tokenizerFile, tokens, doLowerCase, pooling,
        sentenceModules, prompts, defaultPromptName, similarity, vocabSize);
  }

  /**
   * The same model running another ONNX file of the folder, as sentence-transformers'
   * {@code model_kwargs={"file_name": ...}}: a name under {@code onnx/} (e.g. {@code
   * model_qint8_avx512_vnni.onnx}) or a path relative to the folder ({@code onnx/model_O3.onnx}).
   */
  public ModelFolder withOnnxFile(String fileName) {
    Path file = firstExisting(root.resolve(fileName), root.resolve("onnx").resolve(fileName));
    if (file == null || !file.toAbsolutePath().normalize().startsWith(root.toAbsolutePath().normalize())) {
      throw new QuarryException("No ONNX file '" + fileName + "' in " + root + ". This folder has: " + onnxVariants()
          + (fileName.contains("qint8") ? ". Write one with `quarry quantize --model " + modelId + "`." : "."));
    }
    return new ModelFolder(root, modelId, transformerDir, file, tokenizerFile, maxSeqLength, doLowerCase, pooling,
        sentenceModules, prompts, defaultPromptName, similarity, vocabSize);
  }

  /** The ONNX files of the folder ({@code onnx/*.onnx}, {@code *.onnx}), relative to it, sorted. */
  public List<String> onnxVariants() {
    List<String> out = new ArrayList<>();
    for (Path dir : List.of(root, root.resolve("onnx"))) {
      if (!Files.isDirectory(dir)) {
        continue;
      }
      try (Stream<Path> files = Files.list(dir)) {
        files.filter(f -> f.getFileName().toString().endsWith(".onnx") && Files.isRegularFile(f))
            .forEach(f -> out.add(root.relativize(f).toString().replace('\\', '/')));
      } catch (IOException e) {
        throw new QuarryException("Cannot list " + dir + ": " + e.getMessage(), e);
      }
    }
    Collections.sort(out);
    return out;
  }

  /** True when the model's own pipeline ends in a Normalize module. */
  public boolean normalizes() {
    return !sentenceModules.isEmpty() && sentenceModules.get(sentenceModules.size() - 1) instanceof Normalize;
  }

  /** Reads a folder laid out as sentence-transformers saves it; the ONNX graph must be there. */
  public static ModelFolder read(Path root, String modelId) {
    return read(root, modelId, true);
  }

  /**
   * Reads a folder for fine-tuning, where {@code model.safetensors} alone may hold the weights
   * ({@link #onnxFile} is then null).
   */
  public static ModelFolder readForTraining(Path root, String modelId) {
    return read(root, modelId, false);
  }

  private static ModelFolder read(Path root, String modelId, boolean requireOnnx) {
    if (!Files.isDirectory(root)) {
      throw new QuarryException("Model folder " + root + " does not exist. Pass a sentence-transformers"
          + " folder, a built-in model id (see `quarry models`) or a hub id such as org/name.");
    }
    Path modulesFile = root.resolve("modules.json");
    Path transformerDir = root;
    PoolingConfig pooling = null;
    List<SentenceModule> after = new ArrayList<>();
    if (Files.isRegularFile(modulesFile)) {
      JsonNode modules = Json.read(modulesFile);
      if (!modules.isArray()) {
        throw new QuarryException(modulesFile + " must be a JSON array of modules.");
      }
      for (int i = 0; i < modules.size(); i++) {
        JsonNode m = modules.get(i);
        String type = m.path("type").asText("");
        Path dir = root.resolve(m.path("path").asText(""));
        String where = modulesFile + " entry " + i;
        switch (type) {
          case TRANSFORMER -> transformerDir = dir;
          case PoolingConfig.TYPE -> pooling = PoolingConfig.readFolder(dir);
          case Dense.TYPE -> after.add(Dense.readFolder(dir));
          case Normalize.TYPE -> after.add(Normalize.INSTANCE);
          default -> throw new QuarryException("Unsupported module type '" + type + "' in " + where
              + ". Quarry runs Transformer, Pooling, Dense and Normalize modules.");
        }
      }
    }
    Path onnx = firstExisting(root.resolve("onnx/model.onnx"), root.resolve("model.onnx"),
        transformerDir.resolve("onnx/model.onnx"), transformerDir.resolve("model.onnx"));
    if (onnx == null && requireOnnx) {
      String hint = Files.exists(root.resolve("model.safetensors")) || Files.exists(root.resolve("pytorch_model.bin"))
          ? " The folder has PyTorch weights only: export them to ONNX with `quarry export-onnx --model " + root
              + "` (BERT models), or `optimum-cli export onnx --model " + root + " --task feature-extraction "
              + root.resolve("onnx") + "`."
          : "";
      throw new QuarryException("No ONNX weights in " + root + ": expected onnx/model.onnx or model.onnx." + hint);
    }
    Path tokenizer = firstExisting(transformerDir.resolve("tokenizer.json"), root.resolve("tokenizer.json"));
    if (tokenizer == null) {
      throw new QuarryException("Missing file " + root.resolve("tokenizer.json")
          + ": Quarry needs the fast-tokenizer file; save it with tokenizer.save_pretrained().");
    }
    JsonNode stConfig = Json.readIfExists(transformerDir.resolve("sentence_bert_config.json"));
    JsonNode hfConfig = Json.readIfExists(transformerDir.resolve("config.json"));
    int maxSeqLength = maxSeqLength(stConfig, hfConfig, transformerDir);
    boolean lower = stConfig != null && stConfig.path("do_lower_case").asBoolean(false);
    if (pooling == null) {
      // No modules.json: sentence-transformers wraps a plain HF model with mean pooling.
      int hidden = hfConfig != null ? hfConfig.path("hidden_size").asInt(-1) : -1;
      if (hidden <= 0) {
        throw new QuarryException("No modules.json and no hidden_size in " + transformerDir.resolve("config.json")
            + ": cannot set up pooling. Add a modules.json and 1_Pooling/config.json.");
      }
      pooling = new PoolingConfig(hidden, List.of(PoolingMode.MEAN), true);
    }
    JsonNode cst = Json.readIfExists(root.resolve("config_sentence_transformers.json"));
    Map<String, String> prompts = new LinkedHashMap<>();
    String defaultPrompt = null;
    SimilarityFunction sim = SimilarityFunction.COSINE;
    if (cst != null) {
      cst.path("prompts").fields().forEachRemaining(e -> prompts.put(e.getKey(), e.getValue().asText()));
      JsonNode d = cst.get("default_prompt_name");
      defaultPrompt = d == null || d.isNull() ? null : d.asText();
      if (defaultPrompt != null && !prompts.containsKey(defaultPrompt)) {
        throw new QuarryException("default_prompt_name '" + defaultPrompt + "' in "
            + root.resolve("config_sentence_transformers.json") + " is not one of the prompts " + prompts.keySet());
      }
      JsonNode s = cst.get("similarity_fn_name");
      if (s != null && !s.isNull()) {
        sim = SimilarityFunction.fromId(s.asText());
      }
    }
    int vocab = hfConfig != null ? hfConfig.path("vocab_size").asInt(-1) : -1;
    return new ModelFolder(root, modelId, transformerDir, onnx, tokenizer, maxSeqLength, lower, pooling,
        Collections.unmodifiableList(after), Collections.unmodifiableMap(prompts), defaultPrompt, sim, vocab);
  }

  private static int maxSeqLength(JsonNode stConfig, JsonNode hfConfig, Path dir) {
    if (stConfig != null && stConfig.hasNonNull("max_seq_length")) {
      int v = stConfig.get("max_seq_length").asInt(-1);
      if (v <= 0) {
        throw new QuarryException("max_seq_length in " + dir.resolve("sentence_bert_config.json") + " must be positive.");
      }
      return v;
    }
    JsonNode tokCfg = Json.readIfExists(dir.resolve("tokenizer_config.json"));
    int fromTok = tokCfg != null ? tokCfg.path("model_max_length").asInt(Integer.MAX_VALUE) : Integer.MAX_VALUE;
    int fromModel = hfConfig != null ? hfConfig.path("max_position_embeddings").asInt(Integer.MAX_VALUE) : Integer.MAX_VALUE;
    int v = Math.min(fromTok, fromModel);
    return v == Integer.MAX_VALUE ? 512 : v;
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
