package dev.quarry.model;

import com.fasterxml.jackson.databind.JsonNode;
import dev.quarry.QuarryException;
import dev.quarry.inference.OnnxExports;
import dev.quarry.io.Json;
import dev.quarry.modules.ModuleType;
import dev.quarry.modules.PoolingMode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * What a model folder holds, for {@code quarry info}: its kind, modules (and which
 * sentence-transformers layout names them), routes, maximum length and where that came from,
 * prompts, similarity, and its ONNX graphs. Reads any kind of folder without loading a model, so
 * a CrossEncoder or SparseEncoder is described rather than refused.
 *
 * @param fields label to value, in display order
 */
public record ModelInfo(Map<String, String> fields) {
  /** Describes the folder {@code root}; {@code source} says where it came from. */
  public static ModelInfo of(Path root, String modelId, Path cacheDir, String source) {
    Map<String, String> f = new LinkedHashMap<>();
    f.put("model", modelId);
    f.put("source", source);
    ModelKind kind = ModelKind.detect(root);
    f.put("kind", kind.name() + "  (" + kind.evidence() + ")");
    f.put("modules", modules(root));
    if (!kind.isSentenceTransformer()) {
      JsonNode hf = Json.readIfExists(root.resolve("config.json"));
      if (hf != null) {
        f.put("architectures", hf.path("architectures").toString());
        if (hf.has("num_labels") || hf.has("id2label")) {
          f.put("labels", hf.has("id2label") ? hf.get("id2label").toString() : hf.get("num_labels").asText());
        }
        JsonNode cst = Json.readIfExists(root.resolve("config_sentence_transformers.json"));
        JsonNode act = cst != null && cst.hasNonNull("activation_fn") ? cst.get("activation_fn")
            : hf.path("sentence_transformers").path("activation_fn");
        if (!act.isMissingNode()) {
          f.put("activation", act.asText());
        }
      }
      f.put("loads in Quarry", kind.name().equals(ModelKind.CROSS_ENCODER)
          ? "as a reranker (`quarry rerank`, library CrossEncoder); not as an encoder"
          : "no: Quarry encodes with SentenceTransformer (bi-encoder) models");
      return new ModelInfo(f);
    }
    ModelFolder folder;
    try {
      folder = ModelFolder.readForTraining(root, modelId);
    } catch (QuarryException e) {
      f.put("loads in Quarry", "no: " + e.getMessage());
      return new ModelInfo(f);
    }
    if (folder.routes() != null) {
      f.put("routes", folder.routes().describe());
      folder.routes().byName().forEach((name, route) -> describePipeline(f, "route " + name + ": ", route, cacheDir));
    } else {
      describePipeline(f, "", folder, cacheDir);
    }
    f.put("dimension", Integer.toString(folder.dimension()));
    f.put("similarity", folder.similarity().id());
    f.put("prompts", folder.prompts().isEmpty() ? "-" : folder.prompts().entrySet().stream()
        .map(e -> e.getKey() + "=\"" + e.getValue() + "\"").collect(Collectors.joining(", "))
        + (folder.defaultPromptName() != null ? "  (default: " + folder.defaultPromptName() + ")" : ""));
    f.put("loads in Quarry", "yes");
    return new ModelInfo(f);
  }

  private static void describePipeline(Map<String, String> f, String prefix, ModelFolder p, Path cacheDir) {
    f.put(prefix + "max length", p.maxSeqLength() + "  (" + p.maxSeqLengthSource() + ")");
    f.put(prefix + "pooling", p.pooling().modes().stream().map(PoolingMode::id).collect(Collectors.joining("+"))
        + (p.normalizes() ? ", normalized" : ""));
    List<String> onnx = new ArrayList<>();
    for (Path dir : List.of(p.transformerDir(), p.transformerDir().resolve("onnx"))) {
      if (Files.isDirectory(dir)) {
        try (var files = Files.list(dir)) {
          files.filter(x -> x.toString().endsWith(".onnx")).sorted().forEach(x -> onnx.add(p.root().relativize(x).toString()));
        } catch (java.io.IOException e) {
          throw new QuarryException("Cannot list " + dir + ": " + e.getMessage(), e);
        }
      }
    }
    if (onnx.isEmpty() && OnnxExports.hasPyTorchWeights(p.transformerDir())) {
      Path export = OnnxExports.graphPath(p.transformerDir(), cacheDir);
      onnx.add("none; model.safetensors " + (Files.isRegularFile(export) ? "exported to " + export
          : "is exported to ONNX on first use (BERT only), into " + export.getParent()));
    }
    f.put(prefix + "onnx", onnx.isEmpty() ? "none" : String.join(", ", onnx));
  }

  /** modules.json as one line: each module's class and whether its path is the 5.4+ layout. */
  private static String modules(Path root) {
    JsonNode modules = Json.readIfExists(root.resolve("modules.json"));
    if (modules == null || !modules.isArray()) {
      return "none (no modules.json: a plain transformers folder)";
    }
    List<String> out = new ArrayList<>();
    boolean current = false;
    boolean old = false;
    for (JsonNode m : modules) {
      String type = m.path("type").asText("");
      ModuleType known = ModuleType.of(type);
      out.add((known != null ? known.simpleName() : type.substring(type.lastIndexOf('.') + 1) + " (not run by Quarry)")
          + (m.path("path").asText("").isEmpty() ? "" : " [" + m.path("path").asText() + "]"));
      current |= ModuleType.isCurrentLayout(type);
      old |= !ModuleType.isCurrentLayout(type);
    }
    String layout = current && old ? "mixed class paths" : current ? "sentence-transformers >= 5.4 class paths"
        : "sentence-transformers < 5.4 class paths";
    return String.join(" -> ", out) + "  (" + layout + ")";
  }
}
