package dev.quarry.tokenize;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.quarry.QuarryException;
import dev.quarry.TestModels;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The tokenizer files Quarry writes make transformers tokenize exactly as tokenizer.json does. */
class TokenizerFilesTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @ParameterizedTest
  @ValueSource(strings = {TestModels.MINILM, TestModels.BGE, TestModels.E5})
  void writtenConfigAgreesWithTheNormaliserAndProbesTokenizeIdentically(String id, @TempDir Path out) throws Exception {
    Path tokenizer = TestModels.folder(id).resolve("tokenizer.json");
    TokenizerFiles.read(tokenizer).writeFolder(null, out, 256);

    // The rule transformers applies, read straight from the two JSON files.
    JsonNode normalizer = JSON.readTree(Files.readString(tokenizer)).get("normalizer");
    JsonNode config = JSON.readTree(Files.readString(out.resolve("tokenizer_config.json")));
    assertEquals(normalizer.get("lowercase").asBoolean(), config.path("do_lower_case").asBoolean(true), "do_lower_case");
    assertEquals(normalizer.get("strip_accents"), config.get("strip_accents"), "strip_accents");
    assertEquals(normalizer.get("handle_chinese_chars").asBoolean(), config.path("tokenize_chinese_chars").asBoolean(true));
    assertEquals("[UNK]", config.get("unk_token").asText());
    assertEquals("[CLS]", config.get("cls_token").asText());
    assertEquals("[SEP]", config.get("sep_token").asText());
    assertEquals(256, config.get("model_max_length").asInt());

    List<long[]> quarry = TransformersTokenizerRule.ids(tokenizer, TransformersTokenizerRule.PROBES);
    List<long[]> python = TransformersTokenizerRule.idsAsTransformersLoads(out, TransformersTokenizerRule.PROBES);
    for (int i = 0; i < quarry.size(); i++) {
      assertArrayEquals(quarry.get(i), python.get(i), TransformersTokenizerRule.PROBES.get(i));
    }
    // vocab.txt is the WordPiece vocabulary in id order, as the slow tokenizer reads it.
    List<String> vocab = Files.readAllLines(out.resolve("vocab.txt"));
    assertEquals("[PAD]", vocab.get(0));
    assertEquals(101, vocab.indexOf("[CLS]"));
    TokenizerFiles.read(tokenizer).checkAgreement(out); // what was written passes its own check
  }

  /** The check above can fail: the config the seed wrote (do_lower_case false) maps capitals to [UNK]. */
  @Test
  void aConfigThatDisagreesChangesTokensAndIsRefused(@TempDir Path dir) throws Exception {
    Path src = TestModels.copyOf(TestModels.MINILM, dir.resolve("src"), d -> TestModels.write(d.resolve("tokenizer_config.json"),
        "{\"tokenizer_class\": \"BertTokenizer\", \"do_lower_case\": false, \"model_max_length\": 256}"));
    List<long[]> quarry = TransformersTokenizerRule.ids(src.resolve("tokenizer.json"), TransformersTokenizerRule.PROBES);
    List<long[]> python = TransformersTokenizerRule.idsAsTransformersLoads(src, TransformersTokenizerRule.PROBES);
    assertFalse(java.util.Arrays.equals(quarry.get(0), python.get(0)), "do_lower_case false should change 'BRCA1 Mutations'");
    assertTrue(java.util.Arrays.stream(python.get(0)).anyMatch(t -> t == 100), "expected [UNK] (id 100) for capitalised words");

    Path out = dir.resolve("out");
    QuarryException e = assertThrows(QuarryException.class,
        () -> TokenizerFiles.read(src.resolve("tokenizer.json")).writeFolder(src, out, 256));
    assertTrue(e.getMessage().contains(src.resolve("tokenizer_config.json").toString()), e.getMessage());
    assertTrue(e.getMessage().contains("'do_lower_case' is false"), e.getMessage());
    assertFalse(Files.exists(out.resolve("tokenizer.json")), "nothing is written when the files disagree");
  }

  @Test
  void sourceFilesThatAgreeAreKeptAndAWrongVocabularyIsNamedByLine(@TempDir Path dir) throws Exception {
    Path tokenizer = TestModels.folder(TestModels.MINILM).resolve("tokenizer.json");
    Path good = dir.resolve("good");
    TokenizerFiles.read(tokenizer).writeFolder(null, good, 256);
    Files.writeString(good.resolve("tokenizer_config.json"), Files.readString(good.resolve("tokenizer_config.json"))
        .replace("\"model_max_length\" : 256", "\"model_max_length\" : 512"));
    Path copy = dir.resolve("copy");
    TokenizerFiles.read(good.resolve("tokenizer.json")).writeFolder(good, copy, 256);
    assertTrue(Files.readString(copy.resolve("tokenizer_config.json")).contains("512"), "the source's own config is kept");

    List<String> vocab = new java.util.ArrayList<>(Files.readAllLines(good.resolve("vocab.txt")));
    vocab.set(2000, "wrong");
    Files.write(good.resolve("vocab.txt"), vocab);
    QuarryException e = assertThrows(QuarryException.class, () -> TokenizerFiles.read(good.resolve("tokenizer.json")).checkAgreement(good));
    assertTrue(e.getMessage().contains("vocab.txt line 2001"), e.getMessage());
    assertNotEquals(-1, e.getMessage().indexOf("'wrong'"));
  }

  /** A copy of MiniLM's tokenizer.json whose normaliser is {@code normalizer} (JSON). */
  private static Path withNormalizer(Path dir, String normalizer) throws Exception {
    com.fasterxml.jackson.databind.node.ObjectNode root = (com.fasterxml.jackson.databind.node.ObjectNode) JSON.readTree(
        Files.readString(TestModels.folder(TestModels.MINILM).resolve("tokenizer.json")));
    root.set("normalizer", JSON.readTree(normalizer));
    Files.createDirectories(dir);
    Path file = dir.resolve("tokenizer.json");
    Files.writeString(file, root.toString());
    return file;
  }

  private static void assertSameIds(Path tokenizer, Path folder) throws Exception {
    List<long[]> quarry = TransformersTokenizerRule.ids(tokenizer, TransformersTokenizerRule.PROBES);
    List<long[]> python = TransformersTokenizerRule.idsAsTransformersLoads(folder, TransformersTokenizerRule.PROBES);
    for (int i = 0; i < quarry.size(); i++) {
      assertArrayEquals(quarry.get(i), python.get(i), TransformersTokenizerRule.PROBES.get(i));
    }
  }

  @Test
  void aCasedNormaliserWithExplicitStripAccentsIsWrittenExactly(@TempDir Path dir) throws Exception {
    Path tokenizer = withNormalizer(dir.resolve("src"), "{\"type\": \"BertNormalizer\", \"clean_text\": true,"
        + " \"handle_chinese_chars\": false, \"strip_accents\": true, \"lowercase\": false}");
    Path out = dir.resolve("out");
    TokenizerFiles.read(tokenizer).writeFolder(null, out, 256);
    JsonNode config = JSON.readTree(Files.readString(out.resolve("tokenizer_config.json")));
    assertFalse(config.get("do_lower_case").asBoolean(), "a cased model");
    assertTrue(config.get("strip_accents").isBoolean() && config.get("strip_accents").asBoolean(), "strip_accents: true, not null");
    assertFalse(config.get("tokenize_chinese_chars").asBoolean());
    assertSameIds(tokenizer, out);
    // The cased probes really are cased here: "BRCA1" is not lower-cased into known word pieces.
    assertFalse(java.util.Arrays.equals(TransformersTokenizerRule.ids(tokenizer, TransformersTokenizerRule.PROBES).get(0),
        TransformersTokenizerRule.ids(TestModels.folder(TestModels.MINILM).resolve("tokenizer.json"), TransformersTokenizerRule.PROBES)
            .get(0)));
    // A config that leaves do_lower_case out reads as true in transformers: refused.
    Files.writeString(out.resolve("tokenizer_config.json"), "{\"tokenizer_class\": \"BertTokenizer\", \"strip_accents\": true,"
        + " \"tokenize_chinese_chars\": false}");
    QuarryException e = assertThrows(QuarryException.class, () -> TokenizerFiles.read(tokenizer).checkAgreement(out));
    assertTrue(e.getMessage().contains("'do_lower_case' is true"), e.getMessage());
  }

  @Test
  void aSequenceIsAcceptedOnlyWhenItIsOneBertNormalizer(@TempDir Path dir) throws Exception {
    String bert = "{\"type\": \"BertNormalizer\", \"clean_text\": true, \"handle_chinese_chars\": true, \"strip_accents\": null,"
        + " \"lowercase\": true}";
    Path single = withNormalizer(dir.resolve("single"), "{\"type\": \"Sequence\", \"normalizers\": [" + bert + "]}");
    TokenizerFiles.read(single).writeFolder(null, dir.resolve("single-out"), 256);
    assertSameIds(single, dir.resolve("single-out"));

    // transformers would put a plain BertNormalizer in place of this Sequence, losing the Replace.
    Path more = withNormalizer(dir.resolve("more"), "{\"type\": \"Sequence\", \"normalizers\": [" + bert
        + ", {\"type\": \"Replace\", \"pattern\": {\"String\": \"cancer\"}, \"content\": \"tumour\"}]}");
    QuarryException e = assertThrows(QuarryException.class,
        () -> TokenizerFiles.read(more).writeFolder(null, dir.resolve("more-out"), 256));
    assertTrue(e.getMessage().contains("Sequence of BertNormalizer, Replace"), e.getMessage());
    Files.writeString(dir.resolve("more").resolve("tokenizer_config.json"), "{\"tokenizer_class\": \"BertTokenizer\"}");
    e = assertThrows(QuarryException.class, () -> TokenizerFiles.read(more).checkAgreement(dir.resolve("more")));
    assertTrue(e.getMessage().contains("replaces tokenizer.json's normaliser"), e.getMessage());
    // The refusal is not idle: Quarry and transformers' rule tokenize the probes differently.
    List<long[]> quarry = TransformersTokenizerRule.ids(more, TransformersTokenizerRule.PROBES);
    List<long[]> python = TransformersTokenizerRule.idsAsTransformersLoads(dir.resolve("more"), TransformersTokenizerRule.PROBES);
    assertFalse(java.util.Arrays.equals(quarry.get(0), python.get(0)));

    Path unclean = withNormalizer(dir.resolve("unclean"), bert.replace("\"clean_text\": true", "\"clean_text\": false"));
    e = assertThrows(QuarryException.class, () -> TokenizerFiles.read(unclean).writeFolder(null, dir.resolve("unclean-out"), 256));
    assertTrue(e.getMessage().contains("clean_text false"), e.getMessage());
  }
}
