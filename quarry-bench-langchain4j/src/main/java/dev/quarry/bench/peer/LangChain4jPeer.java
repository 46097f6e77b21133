package dev.quarry.bench.peer;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.langchain4j.data.embedding.Embedding;
import dev.langchain4j.data.segment.TextSegment;
import dev.langchain4j.model.embedding.onnx.allminilml6v2.AllMiniLmL6V2EmbeddingModel;
import java.io.BufferedOutputStream;
import java.io.DataOutputStream;
import java.io.FileOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The benchmark's peer: LangChain4j's in-process all-MiniLM-L6-v2 ({@code embedAll}), run in its
 * own JVM because it brings its own ONNX Runtime and DJL versions.
 *
 * <p>Usage: {@code LangChain4jPeer time PASSAGES.json QUERIES.json} prints one JSON line with the
 * seconds each set took (after a warm-up); {@code LangChain4jPeer dump TEXTS.json OUT.f32}
 * writes the embeddings (count, dim, floats; big-endian) for the equal-output check.
 */
public final class LangChain4jPeer {
  private static final ObjectMapper JSON = new ObjectMapper();

  public static void main(String[] args) throws Exception {
    AllMiniLmL6V2EmbeddingModel model = new AllMiniLmL6V2EmbeddingModel();
    if (args[0].equals("dump")) {
      List<Embedding> e = embed(model, read(Path.of(args[1])));
      try (DataOutputStream out = new DataOutputStream(new BufferedOutputStream(new FileOutputStream(args[2])))) {
        out.writeInt(e.size());
        out.writeInt(e.get(0).dimension());
        for (Embedding x : e) {
          for (float v : x.vector()) {
            out.writeFloat(v);
          }
        }
      }
      return;
    }
    List<String> passages = read(Path.of(args[1]));
    List<String> queries = read(Path.of(args[2]));
    embed(model, passages.subList(0, Math.min(64, passages.size())));
    embed(model, queries.subList(0, Math.min(64, queries.size())));
    long t0 = System.nanoTime();
    embed(model, passages);
    long t1 = System.nanoTime();
    embed(model, queries);
    long t2 = System.nanoTime();
    Map<String, Object> result = new LinkedHashMap<>();
    result.put("passages_s", (t1 - t0) / 1e9);
    result.put("queries_s", (t2 - t1) / 1e9);
    System.out.println(JSON.writeValueAsString(result));
  }

  private static List<Embedding> embed(AllMiniLmL6V2EmbeddingModel model, List<String> texts) {
    return model.embedAll(texts.stream().map(TextSegment::from).toList()).content();
  }

  private static List<String> read(Path file) throws Exception {
    return List.of(JSON.readValue(Files.readAllBytes(file), String[].class));
  }
}
