package dev.quarry.model;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.quarry.OnnxGraphs;
import dev.quarry.QuarryException;
import dev.quarry.TestModels;
import dev.quarry.encode.RuntimeOptions;
import dev.quarry.encode.SentenceTransformer;
import dev.quarry.modules.PoolingMode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;

/** Every way a model folder or an input can be wrong gives an error that names the culprit. */
class ModelErrorsTest {
  @TempDir Path tmp;

  @Test
  void missingFolder() {
    assertMessage(() -> ModelFolder.read(tmp.resolve("nope"), "x"), "nope", "does not exist");
  }

  @Test
  void missingTokenizer() {
    Path dir = broken(d -> delete(d.resolve("tokenizer.json")));
    assertMessage(() -> ModelFolder.read(dir, "x"), "tokenizer.json", "Missing file");
  }

  @Test
  void missingOnnxWeightsSaysHowToExport() {
    Path dir = broken(d -> delete(d.resolve("onnx/model.onnx")));
    assertMessage(() -> ModelFolder.read(dir, "x"), "No weights", "onnx/model.onnx", "model.safetensors");
  }

  @Test
  void corruptJsonNamesFileAndLine() {
    Path dir = broken(d -> TestModels.write(d.resolve("modules.json"), "[\n  {\"idx\": 0,\n  oops\n]"));
    assertMessage(() -> ModelFolder.read(dir, "x"), "modules.json", "line 3");
  }

  @Test
  void corruptOnnxFile() {
    Path dir = broken(d -> TestModels.write(d.resolve("onnx/model.onnx"), "this is not protobuf"));
    assertMessage(() -> load(dir), "model.onnx", "Cannot load ONNX model");
  }

  @Test
  void corruptTokenizer() {
    Path dir = broken(d -> TestModels.write(d.resolve("tokenizer.json"), "{\"version\": \"1.0\"}"));
    assertMessage(() -> load(dir), "tokenizer.json");
  }

  @Test
  void graphWithoutTransformerInputs() {
    Path dir = broken(d -> OnnxGraphs.writeIdentity(d.resolve("onnx/model.onnx"), "x", "y"));
    assertMessage(() -> load(dir), "input_ids", "attention_mask", "[x]");
  }

  @Test
  void graphWithoutHiddenStateOutput() {
    Path dir = broken(d -> OnnxGraphs.writeIdentity(d.resolve("onnx/model.onnx"), "input_ids", "logits"));
    // attention_mask is missing too; fix inputs first, so check the input message names both.
    assertMessage(() -> load(dir), "attention_mask");
  }

  @Test
  void tokenIdsBeyondTheEmbeddingTable() {
    Path dir = broken(d -> TestModels.write(d.resolve("config.json"), "{\"vocab_size\": 2000, \"hidden_size\": 384}"));
    try (SentenceTransformer m = load(dir)) {
      assertMessage(() -> m.encode(List.of("a", "zebra")), "index 1", "vocab_size", "tokenizer.json");
    }
  }

  @Test
  void unknownPoolingMode() {
    Path dir = broken(d -> TestModels.write(d.resolve("1_Pooling/config.json"),
        "{\"word_embedding_dimension\": 384, \"pooling_mode_median_tokens\": true}"));
    assertMessage(() -> ModelFolder.read(dir, "x"), "pooling_mode_median_tokens", "1_Pooling");
    assertMessage(() -> PoolingMode.fromId("median"), "median", "weightedmean");
  }

  @Test
  void unsupportedModuleType() {
    Path dir = broken(d -> TestModels.write(d.resolve("modules.json"),
        "[{\"idx\":0,\"path\":\"\",\"type\":\"sentence_transformers.models.CNN\"}]"));
    assertMessage(() -> ModelFolder.read(dir, "x"), "CNN", "entry 0");
  }

  @Test
  void nullTextNamesItsIndex() {
    SentenceTransformer m = TestModels.model(TestModels.MINILM);
    assertMessage(() -> m.encode(Arrays.asList("fine", null)), "index 1", "null");
  }

  @Test
  void unknownPromptName() {
    SentenceTransformer m = TestModels.model(TestModels.MINILM);
    assertMessage(() -> m.encode(List.of("x"), dev.quarry.encode.EncodeOptions.defaults().withPromptName("query")),
        "'query'", "config_sentence_transformers.json");
  }

  @Test
  void unknownModelSpec() {
    assertMessage(() -> ModelResolver.defaults().withCacheDir(tmp).resolve("no such model"), "no such model", "built-in");
  }

  private Path broken(java.util.function.Consumer<Path> edit) {
    return TestModels.copyOf(TestModels.MINILM, tmp.resolve("model"), edit);
  }

  private static SentenceTransformer load(Path dir) {
    return SentenceTransformer.load(ModelFolder.read(dir, "broken"), RuntimeOptions.defaults());
  }

  private static void delete(Path p) {
    try {
      Files.delete(p);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static void assertMessage(Executable call, String... parts) {
    QuarryException e = assertThrows(QuarryException.class, call);
    for (String part : parts) {
      assertTrue(e.getMessage().contains(part), "message lacks '" + part + "': " + e.getMessage());
    }
  }
}
