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

  /** Writes the module's {@value #FILE} into {@code dir}, every mode key present, as sentence-transformers writes it. */
  public void write(Path dir) throws IOException {
    Files.createDirectories(dir);
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("word_embedding_dimension", wordEmbeddingDimension);
    for (PoolingMode m : PoolingMode.values()) {
      out.put(m.configKey(), modes.contains(m));
    }
    out.put("include_prompt", includePrompt);
    Json.prettyWriter().writeValue(dir.resolve(FILE).toFile(), out);
  }

  /** Reads {@code file}; unknown {@code pooling_mode_*} keys are rejected, not ignored. */
  public static PoolingConfig read(Path file) {
    JsonNode node = Json.read(file);
    JsonNode dim = node.get("word_embedding_dimension");
    if (dim == null || !dim.canConvertToInt()) {
      throw new QuarryException("Field 'word_embedding_dimension' in " + file + " is missing or not an integer.");
    }
    List<PoolingMode> modes = new ArrayList<>();
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
    if (modes.isEmpty()) {
      throw new QuarryException("No pooling mode is enabled in " + file
          + ": set one of pooling_mode_cls_token, pooling_mode_mean_tokens, ... to true.");
    }
    return new PoolingConfig(dim.intValue(), modes, node.path("include_prompt").asBoolean(true));
  }
}
