package dev.quarry.modules;

import dev.quarry.QuarryException;
import java.util.Arrays;
import java.util.stream.Collectors;

/**
 * The pooling modes of sentence-transformers' {@code models.Pooling}, in the order in which it
 * concatenates them when several are enabled.
 */
public enum PoolingMode {
  CLS("cls", "pooling_mode_cls_token"),
  MAX("max", "pooling_mode_max_tokens"),
  MEAN("mean", "pooling_mode_mean_tokens"),
  MEAN_SQRT_LEN_TOKENS("mean_sqrt_len_tokens", "pooling_mode_mean_sqrt_len_tokens"),
  WEIGHTED_MEAN("weightedmean", "pooling_mode_weightedmean_tokens"),
  LAST_TOKEN("lasttoken", "pooling_mode_lasttoken");

  private final String id;
  private final String configKey;

  PoolingMode(String id, String configKey) {
    this.id = id;
    this.configKey = configKey;
  }

  /** The name sentence-transformers uses ({@code pooling_mode="mean"}). */
  public String id() {
    return id;
  }

  /** The boolean key in {@code 1_Pooling/config.json}. */
  public String configKey() {
    return configKey;
  }

  /** Parses a sentence-transformers mode name; unknown names list the valid ones. */
  public static PoolingMode fromId(String id) {
    for (PoolingMode m : values()) {
      if (m.id.equalsIgnoreCase(id)) {
        return m;
      }
    }
    throw new QuarryException("Unknown pooling mode '" + id + "'. Valid modes: "
        + Arrays.stream(values()).map(PoolingMode::id).collect(Collectors.joining(", ")) + ".");
  }
}
