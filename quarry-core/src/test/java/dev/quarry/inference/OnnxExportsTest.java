package dev.quarry.inference;

import static dev.quarry.TestModels.PROBES;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.quarry.QuarryException;
import dev.quarry.TestModels;
import dev.quarry.encode.RuntimeOptions;
import dev.quarry.encode.SentenceTransformer;
import dev.quarry.io.SafetensorsWriter;
import dev.quarry.io.Tensor;
import dev.quarry.model.ModelFolder;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A folder with model.safetensors and no ONNX file (what save_pretrained writes) loads: its graph
 * is exported once per weights into the cache, and encodes as the original export does.
 */
class OnnxExportsTest {
  @TempDir Path tmp;

  /** all-MiniLM-L6-v2 as save_pretrained would leave it: its weights (read back from the built-in ONNX) in model.safetensors, no onnx/. */
  private Path safetensorsOnly(String name, Map<String, Tensor> weights) throws IOException {
    Path dir = TestModels.copyOf(TestModels.MINILM, tmp.resolve(name), d -> { });
    Files.delete(dir.resolve("onnx/model.onnx"));
    SafetensorsWriter.write(dir.resolve("model.safetensors"), weights);
    return dir;
  }

  private static Map<String, Tensor> miniLmWeights() {
    Path folder = TestModels.folder(TestModels.MINILM);
    BertConfig config = BertConfig.read(folder.resolve("config.json"));
    return BertWeights.fromOnnx(folder.resolve("onnx/model.onnx"), config).tensors();
  }

  @Test
  void exportsOnFirstUseOnceAndEncodesAsTheOriginal() throws IOException {
    Path dir = safetensorsOnly("st", miniLmWeights());
    Path cache = tmp.resolve("cache");
    ModelFolder folder = ModelFolder.read(dir, "st", cache);
    assertTrue(folder.onnxFile().startsWith(cache.resolve(OnnxExports.DIR)), folder.onnxFile().toString());
    long written = Files.getLastModifiedTime(folder.onnxFile()).toMillis();
    try (SentenceTransformer exported = SentenceTransformer.load(folder, RuntimeOptions.defaults())) {
      float[][] want = TestModels.model(TestModels.MINILM).encode(PROBES);
      float[][] got = exported.encode(PROBES);
      for (int i = 0; i < want.length; i++) {
        for (int j = 0; j < want[i].length; j++) {
          assertEquals(want[i][j], got[i][j], 1e-5, "probe " + i + " dim " + j);
        }
      }
    }
    List<String> lines = new CopyOnWriteArrayList<>();
    assertEquals(folder.onnxFile(), OnnxExports.graphFor(dir, cache, lines::add));
    assertEquals(List.of(), lines, "a second use exports nothing");
    assertEquals(written, Files.getLastModifiedTime(folder.onnxFile()).toMillis());
  }

  @Test
  void editedWeightsExportAgain() throws IOException {
    Map<String, Tensor> weights = miniLmWeights();
    Path cache = tmp.resolve("cache");
    Path first = ModelFolder.read(safetensorsOnly("a", weights), "a", cache).onnxFile();
    Map<String, Tensor> edited = new LinkedHashMap<>(weights);
    Tensor ln = weights.get("embeddings.LayerNorm.bias");
    float[] shifted = ln.data().clone();
    shifted[0] += 0.5f;
    edited.put("embeddings.LayerNorm.bias", new Tensor(ln.shape(), shifted));
    Path dir = safetensorsOnly("b", edited);
    Path second = ModelFolder.read(dir, "b", cache).onnxFile();
    assertNotEquals(first, second);
    try (SentenceTransformer a = SentenceTransformer.load(ModelFolder.read(tmp.resolve("a"), "a", cache), RuntimeOptions.defaults());
        SentenceTransformer b = SentenceTransformer.load(ModelFolder.read(dir, "b", cache), RuntimeOptions.defaults())) {
      assertNotEquals(a.encode("same text")[0], b.encode("same text")[0]);
    }
  }

  @Test
  void concurrentLoadsExportOnce() throws Exception {
    Path dir = safetensorsOnly("c", miniLmWeights());
    Path cache = tmp.resolve("cache");
    List<String> lines = new CopyOnWriteArrayList<>();
    ExecutorService pool = Executors.newFixedThreadPool(3);
    try {
      List<Future<Path>> graphs = pool.invokeAll(List.of(() -> OnnxExports.graphFor(dir, cache, lines::add),
          () -> OnnxExports.graphFor(dir, cache, lines::add), () -> OnnxExports.graphFor(dir, cache, lines::add)));
      assertEquals(graphs.get(0).get(), graphs.get(1).get());
      assertEquals(graphs.get(0).get(), graphs.get(2).get());
    } finally {
      pool.shutdownNow();
    }
    assertEquals(1, lines.stream().filter(l -> l.startsWith("exporting")).count(), lines.toString());
  }

  @Test
  void anotherProcessWaitsForTheLockAndReusesTheExport() throws Exception {
    Path dir = safetensorsOnly("p", miniLmWeights());
    Path cache = tmp.resolve("cache");
    Path graph = OnnxExports.graphPath(dir, cache);
    Files.createDirectories(graph.getParent());
    Process child;
    try (FileChannel ch = FileChannel.open(graph.getParent().resolve(".lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        FileLock lock = ch.lock()) {
      child = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp",
          System.getProperty("java.class.path"), ExportInAnotherProcess.class.getName(), dir.toString(), cache.toString())
          .redirectErrorStream(true).start();
      Thread.sleep(2_000);
      assertTrue(child.isAlive(), "the other process must wait while this one holds the lock");
      // This process "exports" while holding the lock: the other one must take this graph, not write its own.
      Files.copy(TestModels.folder(TestModels.MINILM).resolve("onnx/model.onnx"), graph);
    }
    String out = new String(child.getInputStream().readAllBytes());
    assertEquals(0, child.waitFor(), out);
    assertTrue(out.contains("exports=0"), out);
    assertTrue(out.contains("graph=" + graph), out);
  }

  @Test
  void architecturesTheExporterCannotBuildAreNamed() throws IOException {
    Path dir = safetensorsOnly("mpnet", miniLmWeights());
    TestModels.write(dir.resolve("config.json"), "{\"model_type\": \"mpnet\", \"hidden_size\": 384}");
    QuarryException e = assertThrows(QuarryException.class, () -> ModelFolder.read(dir, "x", tmp.resolve("cache")));
    assertTrue(e.getMessage().contains("model_type 'mpnet'") && e.getMessage().contains("config.json"), e.getMessage());
    assertTrue(e.getMessage().lines().count() == 1, e.getMessage());
  }
}
