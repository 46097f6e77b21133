package dev.quarry.model;

import static dev.quarry.model.ModelErrorsTest.assertMessage;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.quarry.TestModels;
import dev.quarry.encode.EncodeOptions;
import dev.quarry.encode.RuntimeOptions;
import dev.quarry.encode.SentenceTransformer;
import dev.quarry.io.Json;
import dev.quarry.modules.ModuleType;
import dev.quarry.modules.PoolingMode;
import dev.quarry.tokenize.TextTokenizer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Folders as sentence-transformers 5.4 to 6 save them (new module paths, a sentence_bert_config.json
 * without max_seq_length, the length in tokenizer_config.json, the new Pooling config) load and
 * encode exactly as the old layout of the same model.
 */
class FolderDialectsTest {
  private static final String LONG = TestModels.LONG_TEXT;
  private static final List<String> PROBES = TestModels.PROBES;

  @TempDir Path tmp;

  /** Rewrites a built-in folder the way SentenceTransformer.save_pretrained writes it in 6.0.1 (checked against its output). */
  static Path asSaved6(String id, Path dir) {
    ModelFolder old = ModelFolder.read(TestModels.folder(id), id);
    return TestModels.copyOf(id, dir, d -> {
      JsonNode modules = Json.read(d.resolve("modules.json"));
      List<String> entries = new ArrayList<>();
      for (JsonNode m : modules) {
        ModuleType type = ModuleType.of(m.path("type").asText());
        String newPath = type.paths().get(type.paths().size() - 1);
        entries.add(String.format("{\"idx\": %d, \"name\": \"%s\", \"path\": \"%s\", \"type\": \"%s\"}", m.path("idx").asInt(),
            m.path("name").asText(), m.path("path").asText(), newPath));
      }
      TestModels.write(d.resolve("modules.json"), "[" + String.join(",\n", entries) + "]");
      TestModels.write(d.resolve("sentence_bert_config.json"), "{\"transformer_task\": \"feature-extraction\", \"modality_config\":"
          + " {\"text\": {\"method\": \"forward\", \"method_output_name\": \"last_hidden_state\"}}, \"module_output_name\": \"token_embeddings\"}");
      TestModels.write(d.resolve("tokenizer_config.json"), "{\"backend\": \"tokenizers\", \"do_lower_case\": true, \"max_length\": 128,"
          + " \"model_max_length\": " + old.maxSeqLength() + ", \"tokenizer_class\": \"BertTokenizer\"}");
      String modes = old.pooling().modes().stream().map(PoolingMode::id).collect(Collectors.joining("\", \""));
      TestModels.write(d.resolve("1_Pooling/config.json"), "{\"embedding_dimension\": " + old.pooling().wordEmbeddingDimension()
          + ", \"pooling_mode\": \"" + modes + "\", \"include_prompt\": " + old.pooling().includePrompt() + "}");
    });
  }

  @ParameterizedTest
  @ValueSource(strings = {TestModels.MINILM, TestModels.BGE, TestModels.E5})
  void everyBuiltinSavedAsSentenceTransformers6EncodesIdentically(String id) {
    SentenceTransformer original = TestModels.model(id);
    Path dir = asSaved6(id, tmp.resolve("st6"));
    ModelFolder folder = ModelFolder.read(dir, id);
    assertEquals(original.maxSeqLength(), folder.maxSeqLength());
    assertEquals("tokenizer_config.json model_max_length", folder.maxSeqLengthSource());
    assertEquals(original.folder().pooling(), folder.pooling());
    assertEquals(original.folder().normalizes(), folder.normalizes());
    try (TextTokenizer tok = new TextTokenizer(folder.tokenizerFile(), 100_000, false)) {
      assertTrue(tok.encode(LONG).length() > 300, "the long probe must be longer than 300 word-pieces");
    }
    try (SentenceTransformer saved = SentenceTransformer.load(folder, RuntimeOptions.defaults())) {
      float[][] want = original.encode(PROBES);
      float[][] got = saved.encode(PROBES);
      for (int i = 0; i < PROBES.size(); i++) {
        for (int j = 0; j < want[i].length; j++) {
          assertEquals(want[i][j], got[i][j], 0.0, "probe " + i + " dim " + j);
        }
      }
      // The long probe is what catches a wrong length: at another truncation its vector moves.
      float[] otherLength = original.encode(List.of(LONG), EncodeOptions.defaults().withMaxLength(original.maxSeqLength() / 2)).floats()[0];
      assertTrue(maxAbsDiff(otherLength, want[PROBES.size() - 1]) > 1e-3);
    }
  }

  @Test
  void maxLengthIsTakenAsSentenceTransformers6TakesIt() {
    // The tokenizer's limit, capped at max_position_embeddings (512 in the built-in config.json).
    assertEquals(300, lengthWith("{\"model_max_length\": 300}", null).maxSeqLength());
    ModelFolder capped = lengthWith("{\"model_max_length\": 4096}", null);
    assertEquals(512, capped.maxSeqLength());
    assertEquals("config.json max_position_embeddings", capped.maxSeqLengthSource());
    // transformers' "no limit" sentinel, int(1e30), as it writes it: the model's positions decide.
    assertEquals(512, lengthWith("{\"model_max_length\": 1000000000000000019884624838656}", null).maxSeqLength());
    assertEquals(512, lengthWith("{\"model_max_length\": 1e30}", null).maxSeqLength());
    // An explicit max_seq_length (the old dialect) wins, uncapped, as does a saved processor argument.
    assertEquals(128, lengthWith("{\"model_max_length\": 300}", "{\"max_seq_length\": 128}").maxSeqLength());
    assertEquals(200, lengthWith("{\"model_max_length\": 300}", "{\"processor_kwargs\": {\"model_max_length\": 200}}").maxSeqLength());
    assertEquals(512, lengthWith(null, "{\"transformer_task\": \"feature-extraction\"}").maxSeqLength());
    assertTrue(lengthWith(null, "{\"do_lower_case\": true, \"max_seq_length\": 64}").doLowerCase());
    assertMessage(() -> lengthWith("{\"model_max_length\": \"long\"}", null), "model_max_length", "tokenizer_config.json");
    assertMessage(() -> lengthWith(null, "{\"max_seq_length\": 0}"), "max_seq_length", "positive");
  }

  private ModelFolder lengthWith(String tokenizerConfig, String sbertConfig) {
    Path dir = TestModels.copyOf(TestModels.MINILM, tmp.resolve("len" + System.nanoTime()), d -> {
      TestModels.write(d.resolve("sentence_bert_config.json"), sbertConfig != null ? sbertConfig : "{}");
      if (tokenizerConfig != null) {
        TestModels.write(d.resolve("tokenizer_config.json"), tokenizerConfig);
      }
    });
    return ModelFolder.read(dir, "len");
  }

  @Test
  void poolingConfigInBothLayouts() {
    Path dir = TestModels.copyOf(TestModels.MINILM, tmp.resolve("pool"), d ->
        TestModels.write(d.resolve("1_Pooling/config.json"), "{\"embedding_dimension\": 384, \"pooling_mode\": [\"mean\", \"cls\"]}"));
    ModelFolder f = ModelFolder.read(dir, "pool");
    assertEquals(List.of(PoolingMode.MEAN, PoolingMode.CLS), f.pooling().modes()); // list order is concatenation order
    assertEquals(768, f.pooling().outputDimension());
    Path bad = TestModels.copyOf(TestModels.MINILM, tmp.resolve("pool2"), d ->
        TestModels.write(d.resolve("1_Pooling/config.json"), "{\"embedding_dimension\": 384, \"pooling_mode\": \"median\"}"));
    assertMessage(() -> ModelFolder.read(bad, "x"), "pooling_mode", "median", "1_Pooling");
  }

  @Test
  void tasksAndModalitiesOtherThanTextAreRefusedByName() {
    assertRefused("{\"transformer_task\": \"feature-extraction\", \"modality_config\": {\"text\": {\"method\": \"forward\"},"
        + " \"image\": {\"method\": \"forward\"}}, \"module_output_name\": \"token_embeddings\"}", "modality_config", "'image'");
    assertRefused("{\"modality_config\": {\"message\": {\"method\": \"forward\", \"format\": \"flat\"}}, \"module_output_name\":"
        + " \"token_embeddings\"}", "modality_config", "'message'");
    assertRefused("{\"modality_config\": {\"text\": {\"method\": \"get_text_features\"}}, \"module_output_name\": \"token_embeddings\"}",
        "modality_config.text.method", "get_text_features");
    assertRefused("{\"transformer_task\": \"text-generation\"}", "transformer_task", "text-generation");
    assertRefused("{\"transformer_task\": \"feature-extraction\", \"module_output_name\": \"sentence_embedding\"}",
        "module_output_name", "sentence_embedding");
  }

  private void assertRefused(String sbertConfig, String... parts) {
    Path dir = TestModels.copyOf(TestModels.MINILM, tmp.resolve("task" + System.nanoTime()),
        d -> TestModels.write(d.resolve("sentence_bert_config.json"), sbertConfig));
    List<String> all = new ArrayList<>(List.of(parts));
    all.add("sentence_bert_config.json");
    assertMessage(() -> ModelFolder.read(dir, "x"), all.toArray(String[]::new));
  }

  @Test
  void crossEncodersAndSparseEncodersAreNamedNotMisread() {
    // Classic cross-encoder (ms-marco-MiniLM-L6-v2's layout): a transformers classification folder, no modules.json.
    Path classic = TestModels.copyOf(TestModels.MINILM, tmp.resolve("ce"), d -> {
      delete(d.resolve("modules.json"));
      TestModels.write(d.resolve("config.json"), "{\"architectures\": [\"BertForSequenceClassification\"], \"model_type\": \"bert\","
          + " \"num_labels\": 1, \"hidden_size\": 384}");
    });
    assertMessage(() -> ModelFolder.read(classic, "x"), "CrossEncoder", "BertForSequenceClassification", "quarry info");
    assertEquals(ModelKind.CROSS_ENCODER, ModelKind.detect(classic).name());
    // Modular cross-encoder (5.4+): a Transformer with transformer_task sequence-classification.
    Path modular = TestModels.copyOf(TestModels.MINILM, tmp.resolve("ce2"), d -> {
      TestModels.write(d.resolve("config_sentence_transformers.json"), "{\"prompts\": {}}");
      TestModels.write(d.resolve("sentence_bert_config.json"), "{\"transformer_task\": \"sequence-classification\","
          + " \"module_output_name\": \"scores\"}");
    });
    assertMessage(() -> ModelFolder.read(modular, "x"), "CrossEncoder", "transformer_task");
    Path declared = TestModels.copyOf(TestModels.MINILM, tmp.resolve("ce3"), d ->
        TestModels.write(d.resolve("config_sentence_transformers.json"), "{\"model_type\": \"CrossEncoder\"}"));
    assertMessage(() -> ModelFolder.read(declared, "x"), "CrossEncoder", "config_sentence_transformers.json model_type");
    // SPLADE: MLMTransformer + SpladePooling.
    Path sparse = TestModels.copyOf(TestModels.MINILM, tmp.resolve("sparse"), d -> TestModels.write(d.resolve("modules.json"),
        "[{\"idx\": 0, \"name\": \"0\", \"path\": \"\", \"type\": \"sentence_transformers.sparse_encoder.models.MLMTransformer\"},"
            + " {\"idx\": 1, \"name\": \"1\", \"path\": \"1_SpladePooling\", \"type\": \"sentence_transformers.sparse_encoder.models.SpladePooling\"}]"));
    assertMessage(() -> ModelFolder.read(sparse, "x"), "SparseEncoder", "MLMTransformer");
  }

  static float maxAbsDiff(float[] a, float[] b) {
    float m = 0;
    for (int i = 0; i < a.length; i++) {
      m = Math.max(m, Math.abs(a[i] - b[i]));
    }
    return m;
  }

  static void delete(Path p) {
    try {
      java.nio.file.Files.delete(p);
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }
}
