package dev.quarry.server;

import com.sun.net.httpserver.HttpExchange;
import dev.quarry.encode.SentenceTransformer;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;

/**
 * What the API families share: the model and its embedding batcher, the cross-encoder's pair
 * scorer (null without {@code --rerank}), the settings and the request checks.
 */
record Backends(SentenceTransformer model, EmbeddingService embeddings, PairScorer pairs, ServerConfig config,
    RequestChecks checks, long startedEpochSeconds) {

  /** A handler of one route's exchanges. */
  interface Endpoint {
    void handle(HttpExchange ex) throws IOException;
  }

  /** How an API family adds its routes to the server (see {@code QuarryServer.route}). */
  interface Routes {
    void add(String path, String name, Predicate<String> exact, boolean admitted, ErrorShape shape, Endpoint endpoint);
  }

  ServerConfig.Limits limits() {
    return config.limits();
  }

  /** The names a client may use for a model: its id, and the id's last segment ("all-MiniLM-L6-v2"). */
  static List<String> names(String modelId) {
    List<String> out = new ArrayList<>(List.of(modelId));
    String shortName = modelId.substring(modelId.replace('\\', '/').lastIndexOf('/') + 1);
    if (!shortName.isEmpty() && !shortName.equals(modelId)) {
      out.add(shortName);
    }
    return out;
  }

  /** The model's dtype as TEI reports it: int8 for a quantised ONNX file, else float32. */
  static String dtype(java.nio.file.Path onnxFile) {
    String name = onnxFile == null ? "" : onnxFile.getFileName().toString().toLowerCase(java.util.Locale.ROOT);
    return name.contains("int8") || name.contains("quant") ? "int8" : "float32";
  }
}
