package dev.quarry.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.quarry.TestModels;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
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

  @Test
  void aGraphChangedInPlaceIsHashedAgainNotTakenFromTheDigestMemo() throws IOException {
    Path copy = TestModels.copyOf(TestModels.MINILM, tmp.resolve("inplace"), f -> {
      try { // a file of its own, not the shared symbolic link
        Path onnx = f.resolve("onnx/model.onnx");
        Path target = onnx.toRealPath();
        Files.delete(onnx);
        Files.copy(target, onnx);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    });
    Path onnx = copy.resolve("onnx/model.onnx");
    String original = fingerprint(copy);
    try (var memos = Files.list(dev.quarry.Quarry.home().resolve("digests"))) {
      assertTrue(memos.findAny().isPresent(), "the digest is kept for the next process");
    }
    // Same file, same size, one byte different: the memo must not answer for it.
    flipByte(onnx, 1000);
    String changed = fingerprint(copy);
    assertNotEquals(original, changed);
    flipByte(onnx, 1000);
    assertEquals(original, fingerprint(copy));
  }

  private static void flipByte(Path file, long at) throws IOException {
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
      ByteBuffer b = ByteBuffer.allocate(1);
      ch.read(b, at);
      b.put(0, (byte) ~b.get(0));
      b.rewind();
      ch.write(b, at);
    }
  }
}
