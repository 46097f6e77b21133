package dev.quarry.modules;

import com.fasterxml.jackson.databind.JsonNode;
import dev.quarry.QuarryException;
import dev.quarry.io.Json;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A parsed {@code 1_Pooling/config.json}.
 *
 * @param wordEmbeddingDimension hidden size of the transformer output
 * @param modes enabled modes, in sentence-transformers' concatenation order
 * @param includePrompt false when prompt tokens must be left out of the pooled average
 *     (instructor-style models)
 */
public record PoolingConfig(int wordEmbeddingDimension, List<PoolingMode> modes, boolean includePrompt) {
  /** The module's type in modules.json. */
  public static final String TYPE = "sentence_transformers.models.Pooling";
  /** Its file in the module's folder. */
  public static final String FILE = "config.json";

  public PoolingConfig {
    if (modes.isEmpty()) {
      throw new QuarryException("Pooling config enables no pooling mode.");
    }
    modes = List.copyOf(modes);
  }

  /** Output dimension: the hidden size once per enabled mode. */
  public int outputDimension() {
    return wordEmbeddingDimension * modes.size();
  }

  /** Reads the module in {@code dir} (its {@value #FILE}). */
  public static PoolingConfig readFolder(Path dir) {
    return read(dir.resolve(FILE));
  }

  /**
   * Writes the module's {@value #FILE} into {@code dir} with every mode key present, the layout
   * that sentence-transformers 2 to 6 all read; modes in an order that layout cannot express (only
   * a 5.4+ config gives one) are written in the current layout.
   */
  public void write(Path dir) throws IOException {
    Files.createDirectories(dir);
    Map<String, Object> out = new LinkedHashMap<>();
    if (modes.equals(modes.stream().sorted().toList())) {
      out.put("word_embedding_dimension", wordEmbeddingDimension);
      for (PoolingMode m : PoolingMode.values()) {
        out.put(m.configKey(), modes.contains(m));
      }
    } else {
      out.put("embedding_dimension", wordEmbeddingDimension);
      out.put("pooling_mode", modes.stream().map(PoolingMode::id).toList());
    }
    out.put("include_prompt", includePrompt);
    Json.prettyWriter().writeValue(dir.resolve(FILE).toFile(), out);
  }

  /**
   * Reads {@code file} in either layout: up to sentence-transformers 5.3, {@code
   * word_embedding_dimension} and one {@code pooling_mode_*} flag per mode (concatenated in the
   * flags' fixed order); from 5.4, {@code embedding_dimension} and {@code pooling_mode}, one name
   * or a list (concatenated in list order). Unknown modes are rejected, not ignored.
   */
  public static PoolingConfig read(Path file) {
    JsonNode node = Json.read(file);
    boolean current = node.has("pooling_mode") || node.has("embedding_dimension");
    String dimField = current && !node.has("word_embedding_dimension") ? "embedding_dimension" : "word_embedding_dimension";
    JsonNode dim = node.get(dimField);
    if (dim == null || !dim.canConvertToInt()) {
      throw new QuarryException("Field '" + dimField + "' in " + file + " is missing or not an integer.");
    }
    List<PoolingMode> modes = new ArrayList<>();
    if (node.has("pooling_mode")) {
      JsonNode given = node.get("pooling_mode");
      for (JsonNode m : given.isArray() ? given : List.of(given)) {
        try {
          modes.add(PoolingMode.fromId(m.asText()));
        } catch (QuarryException e) {
          throw new QuarryException("pooling_mode in " + file + ": " + e.getMessage(), e);
        }
      }
    } else {
      for (PoolingMode m : PoolingMode.values()) {
        if (node.path(m.configKey()).asBoolean(false)) {
          modes.add(m);
        }
      }
      for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> e = it.next();
        String key = e.getKey();
        if (key.startsWith("pooling_mode_") && e.getValue().asBoolean(false)
            && modes.stream().noneMatch(m -> m.configKey().equals(key))) {
          throw new QuarryException("Unknown pooling mode '" + key + "' in " + file
              + ". Supported: cls, max, mean, mean_sqrt_len_tokens, weightedmean, lasttoken.");
        }
      }
    }
    if (modes.isEmpty()) {
      throw new QuarryException("No pooling mode is enabled in " + file
          + ": set pooling_mode (or one of pooling_mode_cls_token, pooling_mode_mean_tokens, ...).");
    }
    return new PoolingConfig(dim.intValue(), modes, node.path("include_prompt").asBoolean(true));
  }
}
