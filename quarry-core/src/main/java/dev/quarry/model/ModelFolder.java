package dev.quarry.model;

import com.fasterxml.jackson.databind.JsonNode;
import dev.quarry.Quarry;
import dev.quarry.QuarryException;
import dev.quarry.inference.OnnxExports;
import dev.quarry.io.Json;
import dev.quarry.modules.ModuleType;
import dev.quarry.modules.Normalize;
import dev.quarry.modules.PoolingConfig;
import dev.quarry.modules.PoolingMode;
import dev.quarry.modules.SentenceModule;
import dev.quarry.modules.TransformerConfig;
import dev.quarry.similarity.SimilarityFunction;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * A sentence-transformers model folder, parsed: what {@code SentenceTransformer(path)} reads in
 * Python, with the transformer's weights taken from an ONNX export instead of PyTorch.
 *
 * <p>Folders of every sentence-transformers version from 2 to 6 are read: old and new module
 * class paths ({@link ModuleType}), the old and new Transformer and Pooling configs ({@link
 * TransformerConfig}, {@link PoolingConfig}), Router models ({@link Routes}), and folders with
 * {@code model.safetensors} and no ONNX file, whose graph is exported on first use ({@link
 * OnnxExports}). A folder of another kind (a CrossEncoder, a SparseEncoder) is refused in one
 * line that says what it holds ({@link ModelKind}).
 *
 * @param root the folder
 * @param modelId a display id (hub id for built-in and hub models, else the folder name)
 * @param transformerDir the Transformer module's folder (config.json, weights; usually the root)
 * @param onnxFile the transformer graph ({@code onnx/model.onnx}, {@code model.onnx}, or the
 *     export of model.safetensors in the cache); null only from {@link #readForTraining}, for a
 *     folder with PyTorch weights alone
 * @param tokenizerFile {@code tokenizer.json}
 * @param maxSeqLength tokens kept per text, special tokens included
 * @param maxSeqLengthSource the file and field {@code maxSeqLength} came from
 * @param doLowerCase lower-case texts before tokenising (sentence_bert_config.json)
 * @param pooling the Pooling module's config
 * @param sentenceModules the modules after pooling (Dense, Normalize), in modules.json order
 * @param prompts named prompts from config_sentence_transformers.json
 * @param defaultPromptName the prompt applied when none is chosen, or null
 * @param similarity the model's similarity function (sentence-transformers defaults to cosine)
 * @param vocabSize the embedding table size from config.json, or -1 if unknown
 * @param routes a Router model's routes, or null; the other fields then describe the default
 *     route (or the first, when there is no default)
 */
public record ModelFolder(
    Path root,
    String modelId,
    Path transformerDir,
    Path onnxFile,
    Path tokenizerFile,
    int maxSeqLength,
    String maxSeqLengthSource,
    boolean doLowerCase,
    PoolingConfig pooling,
    List<SentenceModule> sentenceModules,
    Map<String, String> prompts,
    String defaultPromptName,
    SimilarityFunction similarity,
    int vocabSize,
    Routes routes) {
  private static final System.Logger LOG = System.getLogger(ModelFolder.class.getName());

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
    Routes r = routes == null ? null : new Routes(mapRoutes(f -> f.withMaxSeqLength(tokens)), routes.defaultRoute(), routes.mappings());
    return new ModelFolder(root, modelId, transformerDir, onnxFile, tokenizerFile, tokens, "set by the caller", doLowerCase, pooling,
        sentenceModules, prompts, defaultPromptName, similarity, vocabSize, r);
  }

  /**
   * The same model running another ONNX file of the folder, as sentence-transformers'
   * {@code model_kwargs={"file_name": ...}}: a name under {@code onnx/} (e.g. {@code
   * model_qint8_avx512_vnni.onnx}) or a path relative to the folder ({@code onnx/model_O3.onnx}).
   */
  public ModelFolder withOnnxFile(String fileName) {
    if (routes != null) {
      throw new QuarryException(modelId + " is a Router model: each route has its own graph, so --onnx-file cannot pick one.");
    }
    Path file = firstExisting(root.resolve(fileName), root.resolve("onnx").resolve(fileName));
    if (file == null || !file.toAbsolutePath().normalize().startsWith(root.toAbsolutePath().normalize())) {
      throw new QuarryException("No ONNX file '" + fileName + "' in " + root + ". This folder has: " + onnxVariants()
          + (fileName.contains("qint8") ? ". Write one with `quarry quantize --model " + modelId + "`." : "."));
    }
    return new ModelFolder(root, modelId, transformerDir, file, tokenizerFile, maxSeqLength, maxSeqLengthSource, doLowerCase, pooling,
        sentenceModules, prompts, defaultPromptName, similarity, vocabSize, null);
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

  /** Reads a folder laid out as sentence-transformers saves it, exporting model.safetensors to ONNX under {@link Quarry#home()} if needed. */
  public static ModelFolder read(Path root, String modelId) {
    return read(root, modelId, Quarry.home());
  }

  /** As {@link #read(Path, String)}, with ONNX exports of safetensors-only folders kept under {@code cacheDir}. */
  public static ModelFolder read(Path root, String modelId, Path cacheDir) {
    return new Reader(root, modelId, cacheDir).read();
  }

  /**
   * Reads a folder for fine-tuning, where {@code model.safetensors} alone may hold the weights
   * ({@link #onnxFile} is then null).
   */
  public static ModelFolder readForTraining(Path root, String modelId) {
    return new Reader(root, modelId, null).read();
  }

  private Map<String, ModelFolder> mapRoutes(java.util.function.UnaryOperator<ModelFolder> f) {
    Map<String, ModelFolder> out = new LinkedHashMap<>();
    routes.byName().forEach((k, v) -> out.put(k, f.apply(v)));
    return out;
  }

  private static Path firstExisting(Path... candidates) {
    for (Path p : candidates) {
      if (Files.isRegularFile(p)) {
        return p;
      }
    }
    return null;
  }

  /** One entry of a module list: modules.json's, or a Router route's. */
  private record ModuleEntry(String type, Path dir, String where) {}

  /** Reads one folder; {@code cacheDir} null means "for training": no ONNX graph is needed. */
  private record Reader(Path root, String modelId, Path cacheDir) {
    ModelFolder read() {
      if (!Files.isDirectory(root)) {
        throw new QuarryException("Model folder " + root + " does not exist. Pass a sentence-transformers"
            + " folder, a built-in model id (see `quarry models`) or a hub id such as org/name.");
      }
      ModelKind kind = ModelKind.detect(root);
      if (!kind.isSentenceTransformer()) {
        throw new QuarryException(kind.refusal(root));
      }
      Path modulesFile = root.resolve("modules.json");
      List<ModuleEntry> entries = new ArrayList<>();
      if (Files.isRegularFile(modulesFile)) {
        JsonNode modules = Json.read(modulesFile);
        if (!modules.isArray()) {
          throw new QuarryException(modulesFile + " must be a JSON array of modules.");
        }
        for (int i = 0; i < modules.size(); i++) {
          JsonNode m = modules.get(i);
          entries.add(new ModuleEntry(m.path("type").asText(""), root.resolve(m.path("path").asText("")),
              modulesFile + " entry " + i));
        }
      }
      if (!entries.isEmpty() && ModuleType.of(entries.get(0).type()) == ModuleType.ROUTER) {
        return routed(entries.get(0), entries.subList(1, entries.size()));
      }
      return pipeline(entries, List.of(), modelId, true);
    }

    private ModelFolder routed(ModuleEntry router, List<ModuleEntry> after) {
      Path dir = router.dir();
      Path configFile = Files.isRegularFile(dir.resolve("router_config.json")) ? dir.resolve("router_config.json")
          : dir.resolve("config.json"); // the legacy Asym file name
      JsonNode config = Json.read(configFile);
      JsonNode types = config.path("types");
      JsonNode structure = config.path("structure");
      if (!types.isObject() || !structure.isObject() || structure.isEmpty()) {
        throw new QuarryException(configFile + " needs \"types\" and \"structure\" objects, as Router.save writes them.");
      }
      Map<String, ModelFolder> byName = new LinkedHashMap<>();
      for (Iterator<Map.Entry<String, JsonNode>> it = structure.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> route = it.next();
        List<ModuleEntry> entries = new ArrayList<>();
        for (JsonNode id : route.getValue()) {
          String type = types.path(id.asText()).asText("");
          if (type.isEmpty()) {
            throw new QuarryException(configFile + ": module '" + id.asText() + "' of route '" + route.getKey()
                + "' has no entry in \"types\".");
          }
          entries.add(new ModuleEntry(type, dir.resolve(id.asText()), configFile + " route '" + route.getKey() + "' module " + id.asText()));
        }
        byName.put(route.getKey(), pipeline(entries, after, modelId + " [" + route.getKey() + "]", false));
      }
      JsonNode parameters = config.path("parameters");
      String defaultRoute = parameters.hasNonNull("default_route") ? parameters.get("default_route").asText() : null;
      if (defaultRoute != null && !byName.containsKey(defaultRoute)) {
        throw new QuarryException(configFile + ": default_route '" + defaultRoute + "' is not one of the routes " + byName.keySet());
      }
      if (defaultRoute == null && parameters.path("allow_empty_key").asBoolean(true)) {
        defaultRoute = byName.keySet().iterator().next(); // as Router.__init__ does
      }
      Map<String, String> mappings = new LinkedHashMap<>();
      for (Iterator<Map.Entry<String, JsonNode>> it = parameters.path("route_mappings").fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> e = it.next();
        String key = mappingKey(e.getKey());
        if (key != null) {
          if (!byName.containsKey(e.getValue().asText())) {
            throw new QuarryException(configFile + ": route_mappings entry " + e.getKey() + " names route '"
                + e.getValue().asText() + "', which is not one of " + byName.keySet());
          }
          mappings.put(key, e.getValue().asText());
        }
      }
      Routes routes = new Routes(byName, defaultRoute, mappings);
      int dim = -1;
      for (Map.Entry<String, ModelFolder> e : byName.entrySet()) {
        if (dim >= 0 && e.getValue().dimension() != dim) {
          throw new QuarryException(configFile + ": route '" + e.getKey() + "' gives " + e.getValue().dimension()
              + "-d embeddings but an earlier route gives " + dim + "-d; Quarry needs one dimension to search across routes.");
        }
        dim = e.getValue().dimension();
      }
      ModelFolder main = byName.get(defaultRoute != null ? defaultRoute : byName.keySet().iterator().next());
      return new ModelFolder(root, modelId, main.transformerDir(), main.onnxFile(), main.tokenizerFile(), main.maxSeqLength(),
          main.maxSeqLengthSource(), main.doLowerCase(), main.pooling(), main.sentenceModules(), main.prompts(),
          main.defaultPromptName(), main.similarity(), main.vocabSize(), routes);
    }

    /**
     * A route_mappings key as Router.save writes it, {@code "('query', None)"}, turned into {@code
     * query|*}; null for a key that names several modalities (never text alone).
     */
    private static String mappingKey(String python) {
      java.util.regex.Matcher m = java.util.regex.Pattern
          .compile("\\(\\s*(None|'[^']*'|\"[^\"]*\")\\s*,\\s*(None|'[^']*'|\"[^\"]*\")\\s*\\)").matcher(python.trim());
      if (!m.matches()) {
        return null;
      }
      return unquote(m.group(1)) + "|" + unquote(m.group(2));
    }

    private static String unquote(String s) {
      return s.equals("None") ? "*" : s.substring(1, s.length() - 1);
    }

    /** One Transformer → Pooling → Dense/Normalize pipeline, then the modules that follow a Router. */
    private ModelFolder pipeline(List<ModuleEntry> entries, List<ModuleEntry> after, String id, boolean topLevel) {
      Path transformerDir = topLevel ? root : null;
      PoolingConfig pooling = null;
      List<SentenceModule> modules = new ArrayList<>();
      List<ModuleEntry> all = new ArrayList<>(entries);
      all.addAll(after);
      for (int i = 0; i < all.size(); i++) {
        ModuleEntry e = all.get(i);
        ModuleType type = ModuleType.of(e.type());
        boolean afterRouter = i >= entries.size();
        if (type == null) {
          String kind = ModuleType.kindOfForeignModule(e.type());
          throw new QuarryException("Unsupported module type '" + e.type() + "' in " + e.where()
              + (kind != null ? ": it belongs to a " + kind + ", which Quarry does not run." : ".")
              + " Quarry runs Transformer, Pooling, Dense, Normalize and Router modules.");
        }
        if (afterRouter && type != ModuleType.DENSE && type != ModuleType.NORMALIZE) {
          throw new QuarryException("Module type '" + e.type() + "' in " + e.where() + " follows a Router: Quarry runs"
              + " Dense and Normalize there; put the Transformer and Pooling inside each route.");
        }
        switch (type) {
          case TRANSFORMER -> transformerDir = e.dir();
          case POOLING -> pooling = PoolingConfig.readFolder(e.dir());
          case DENSE, NORMALIZE -> modules.add(type.load(e.dir()));
          case ROUTER -> throw new QuarryException("A Router in " + e.where() + " must be the first module, and only one.");
          default -> throw new IllegalStateException(type.name());
        }
      }
      if (transformerDir == null) {
        throw new QuarryException(entries.isEmpty() ? "A route in " + root + " has no modules."
            : entries.get(0).where() + ": the route has no Transformer module.");
      }
      Path onnx = topLevel
          ? firstExisting(root.resolve("onnx/model.onnx"), root.resolve("model.onnx"), transformerDir.resolve("onnx/model.onnx"),
              transformerDir.resolve("model.onnx"))
          : firstExisting(transformerDir.resolve("onnx/model.onnx"), transformerDir.resolve("model.onnx"));
      if (onnx == null && cacheDir != null) {
        if (!OnnxExports.hasPyTorchWeights(transformerDir)) {
          throw new QuarryException("No weights in " + transformerDir + ": expected onnx/model.onnx, model.onnx or model.safetensors."
              + (Files.exists(transformerDir.resolve("pytorch_model.bin"))
                  ? " It has pytorch_model.bin only: save it as model.safetensors (save_pretrained(..., safe_serialization=True))."
                  : ""));
        }
        onnx = OnnxExports.graphFor(transformerDir, cacheDir, line -> LOG.log(System.Logger.Level.INFO, line));
      }
      Path tokenizer = firstExisting(transformerDir.resolve("tokenizer.json"), root.resolve("tokenizer.json"));
      if (tokenizer == null) {
        throw new QuarryException("Missing file " + transformerDir.resolve("tokenizer.json")
            + ": Quarry needs the fast-tokenizer file; save it with tokenizer.save_pretrained().");
      }
      TransformerConfig tc = TransformerConfig.readFolder(transformerDir);
      JsonNode hfConfig = Json.readIfExists(transformerDir.resolve("config.json"));
      if (pooling == null) {
        // No modules.json: sentence-transformers wraps a plain HF model with mean pooling.
        int hidden = hfConfig != null ? hfConfig.path("hidden_size").asInt(-1) : -1;
        if (hidden <= 0) {
          throw new QuarryException("No Pooling module and no hidden_size in " + transformerDir.resolve("config.json")
              + ": cannot set up pooling. Add a modules.json and 1_Pooling/config.json.");
        }
        pooling = new PoolingConfig(hidden, List.of(PoolingMode.MEAN), true);
      }
      Path cstFile = root.resolve("config_sentence_transformers.json");
      JsonNode cst = Json.readIfExists(cstFile);
      Map<String, String> prompts = new LinkedHashMap<>();
      String defaultPrompt = null;
      SimilarityFunction sim = SimilarityFunction.COSINE;
      if (cst != null) {
        cst.path("prompts").fields().forEachRemaining(e -> prompts.put(e.getKey(), e.getValue().asText()));
        JsonNode d = cst.get("default_prompt_name");
        defaultPrompt = d == null || d.isNull() ? null : d.asText();
        if (defaultPrompt != null && !prompts.containsKey(defaultPrompt)) {
          throw new QuarryException("default_prompt_name '" + defaultPrompt + "' in " + cstFile
              + " is not one of the prompts " + prompts.keySet());
        }
        JsonNode s = cst.get("similarity_fn_name");
        if (s != null && !s.isNull()) {
          sim = SimilarityFunction.fromId(s.asText());
        }
      }
      int vocab = hfConfig != null ? hfConfig.path("vocab_size").asInt(-1) : -1;
      return new ModelFolder(root, id, transformerDir, onnx, tokenizer, tc.maxSeqLength(), tc.maxSeqLengthSource(),
          tc.doLowerCase(), pooling, Collections.unmodifiableList(modules), Collections.unmodifiableMap(prompts), defaultPrompt,
          sim, vocab, null);
    }
  }
}
