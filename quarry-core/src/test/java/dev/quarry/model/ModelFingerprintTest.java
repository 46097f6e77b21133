package dev.quarry.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import dev.quarry.TestModels;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The fingerprint follows what changes the vectors, prompts included, and nothing else. */
class ModelFingerprintTest {
  @TempDir Path tmp;

  private static String fingerprint(Path folder) {
    return ModelFingerprint.of(ModelFolder.read(folder, "copy"));
  }

  private static void writeConfig(Path folder, String json) {
    try {
      Files.writeString(folder.resolve("config_sentence_transformers.json"), json);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Test
  void aDocumentPromptChangesTheFingerprint() {
    String plain = fingerprint(TestModels.copyOf(TestModels.MINILM, tmp.resolve("plain"), f -> {}));
    String prompted = fingerprint(TestModels.copyOf(TestModels.MINILM, tmp.resolve("prompted"),
        f -> writeConfig(f, "{\"prompts\": {\"document\": \"passage: \"}, \"similarity_fn_name\": \"cosine\"}")));
    String otherPrompt = fingerprint(TestModels.copyOf(TestModels.MINILM, tmp.resolve("other"),
        f -> writeConfig(f, "{\"prompts\": {\"document\": \"doc: \"}, \"similarity_fn_name\": \"cosine\"}")));
    String defaultPrompt = fingerprint(TestModels.copyOf(TestModels.MINILM, tmp.resolve("default"),
        f -> writeConfig(f, "{\"prompts\": {\"document\": \"passage: \"}, \"default_prompt_name\": \"document\","
            + " \"similarity_fn_name\": \"cosine\"}")));
    assertNotEquals(plain, prompted);
    assertNotEquals(prompted, otherPrompt);
    assertNotEquals(prompted, defaultPrompt);
  }

  @Test
  void aModelWithoutPromptsKeepsItsFingerprintWhicheverWayItSaysSo() {
    String original = ModelFingerprint.of(ModelFolder.read(TestModels.folder(TestModels.MINILM), TestModels.MINILM));
    String emptyPrompts = fingerprint(TestModels.copyOf(TestModels.MINILM, tmp.resolve("empty"),
        f -> writeConfig(f, "{\"prompts\": {}, \"default_prompt_name\": null, \"similarity_fn_name\": \"cosine\"}")));
    String noKey = fingerprint(TestModels.copyOf(TestModels.MINILM, tmp.resolve("nokey"),
        f -> writeConfig(f, "{\"similarity_fn_name\": \"cosine\"}")));
    assertEquals(original, emptyPrompts);
    assertEquals(original, noKey);
  }
}
