package dev.quarry.model;

import com.fasterxml.jackson.databind.JsonNode;
import dev.quarry.io.Json;
import dev.quarry.modules.ModuleType;
import dev.quarry.modules.TransformerConfig;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * What kind of sentence-transformers model a folder holds, and the evidence: {@code
 * SentenceTransformer} (a bi-encoder, what Quarry encodes with), {@code CrossEncoder} (a reranker
 * that scores pairs), {@code SparseEncoder} (SPLADE-style) or {@code MultiVectorEncoder}.
 *
 * <p>Read in this order, as sentence-transformers itself tells them apart:
 * {@code config_sentence_transformers.json} {@code model_type} (written since v3); a module of
 * another kind in {@code modules.json}; a Transformer whose {@code transformer_task} is {@code
 * sequence-classification} or {@code fill-mask}; and, for a folder without {@code modules.json}
 * (a plain transformers folder, as classic cross-encoders such as ms-marco-MiniLM-L6-v2 are), an
 * {@code architectures} entry ending in {@code ForSequenceClassification} in config.json.
 *
 * @param name the kind, as sentence-transformers names its class
 * @param evidence the file and field that say so
 */
public record ModelKind(String name, String evidence) {
  public static final String SENTENCE_TRANSFORMER = "SentenceTransformer";
  public static final String CROSS_ENCODER = "CrossEncoder";
  public static final String SPARSE_ENCODER = "SparseEncoder";

  public boolean isSentenceTransformer() {
    return name.equals(SENTENCE_TRANSFORMER);
  }

  /** The kind of the model in {@code root}; files that are absent or unreadable say nothing. */
  public static ModelKind detect(Path root) {
    JsonNode cst = readQuietly(root.resolve("config_sentence_transformers.json"));
    String declared = cst == null ? "" : cst.path("model_type").asText("");
    if (!declared.isEmpty()) {
      return new ModelKind(declared, "config_sentence_transformers.json model_type");
    }
    JsonNode modules = readQuietly(root.resolve("modules.json"));
    if (modules != null && modules.isArray()) {
      for (JsonNode m : modules) {
        String type = m.path("type").asText("");
        String foreign = ModuleType.kindOfForeignModule(type);
        if (foreign != null) {
          return new ModelKind(foreign, "modules.json type " + type);
        }
        if (ModuleType.of(type) == ModuleType.TRANSFORMER) {
          JsonNode st = readQuietly(root.resolve(m.path("path").asText("")).resolve(TransformerConfig.FILE));
          String task = st == null ? "" : st.path("transformer_task").asText("");
          if (task.equals("sequence-classification")) {
            return new ModelKind(CROSS_ENCODER, TransformerConfig.FILE + " transformer_task " + task);
          }
          if (task.equals("fill-mask")) {
            return new ModelKind(SPARSE_ENCODER, TransformerConfig.FILE + " transformer_task " + task);
          }
        }
      }
      return new ModelKind(SENTENCE_TRANSFORMER, "modules.json");
    }
    JsonNode hf = readQuietly(root.resolve("config.json"));
    if (hf != null) {
      for (JsonNode a : hf.path("architectures")) {
        if (a.asText().endsWith("ForSequenceClassification")) {
          return new ModelKind(CROSS_ENCODER, "config.json architectures " + a.asText() + " (no modules.json)");
        }
      }
    }
    return new ModelKind(SENTENCE_TRANSFORMER, "no modules.json: a plain transformers encoder, mean pooling");
  }

  /** One line for a folder of another kind passed where a SentenceTransformer is needed. */
  String refusal(Path root) {
    String what = switch (name) {
      case CROSS_ENCODER -> "a CrossEncoder (a reranker: it scores query-passage pairs instead of encoding texts)";
      case SPARSE_ENCODER -> "a SparseEncoder (SPLADE-style sparse vectors)";
      default -> "a " + name;
    };
    return root + " holds " + what + ", per " + evidence + ". Quarry encodes, indexes and searches with"
        + " SentenceTransformer (bi-encoder) models; `quarry info -m " + root + "` describes the folder.";
  }

  private static JsonNode readQuietly(Path file) {
    if (!Files.isRegularFile(file)) {
      return null;
    }
    try {
      return Json.read(file);
    } catch (RuntimeException e) {
      return null; // the full read reports a broken file with its line; detection only looks
    }
  }
}
