package dev.quarry.bench;

import com.fasterxml.jackson.databind.JsonNode;
import dev.quarry.io.Json;
import java.nio.file.Path;

/**
 * Useful floating-point work of a BERT encoder on one unpadded text of n tokens, from config.json:
 * per layer and token, 2·(4h² + 2·h·i) for the Q/K/V/output projections and the feed-forward
 * block, plus 2·2·n·h for the attention scores and their weighted sum. Padding is not counted:
 * both engines are credited only with the work the text needs.
 */
record EncoderFlops(int hidden, int layers, int intermediate) {
  static EncoderFlops of(Path configJson) {
    JsonNode c = Json.read(configJson);
    return new EncoderFlops(c.get("hidden_size").asInt(), c.get("num_hidden_layers").asInt(), c.get("intermediate_size").asInt());
  }

  double forText(int tokens) {
    double perToken = 2.0 * (4.0 * hidden * hidden + 2.0 * hidden * intermediate) + 4.0 * tokens * hidden;
    return perToken * tokens * layers;
  }
}
