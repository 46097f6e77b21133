package dev.quarry.tokenize;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * What transformers' {@code BertTokenizer} does with a folder, restated independently of
 * {@link TokenizerFiles} so that tests can compare without Python: it reads tokenizer.json, then
 * puts in place of its normaliser, whatever that is (a Sequence included), a new
 * {@code BertNormalizer} with {@code clean_text} on and {@code do_lower_case} (default true),
 * {@code strip_accents} (default null) and {@code tokenize_chinese_chars} (default true) from
 * tokenizer_config.json. Observed with transformers 5.18 (sentence-transformers 6.0.1's), e.g. a
 * tokenizer.json saying {@code lowercase: false} beside a config without {@code do_lower_case}
 * lower-cases in Python.
 */
public final class TransformersTokenizerRule {
  /** Texts that expose a wrong lower-casing or accent setting (issue 8's worst three). */
  public static final List<String> PROBES = List.of("BRCA1 Mutations In Breast CANCER", "Ünïcödé café naïve résumé",
      "CCL19 is absent within dLNs.", "中文 tokens and Ελληνικά");

  private static final ObjectMapper JSON = new ObjectMapper();

  private TransformersTokenizerRule() {}

  /** Token ids of each text through {@code dir}'s files as transformers would load them (special tokens added). */
  public static List<long[]> idsAsTransformersLoads(Path dir, List<String> texts) throws IOException {
    ObjectNode root = (ObjectNode) JSON.readTree(Files.readString(dir.resolve("tokenizer.json")));
    JsonNode tc = JSON.readTree(Files.readString(dir.resolve("tokenizer_config.json")));
    ObjectNode normalizer = root.putObject("normalizer");
    normalizer.put("type", "BertNormalizer");
    normalizer.put("clean_text", true);
    normalizer.put("lowercase", tc.path("do_lower_case").asBoolean(true));
    JsonNode strip = tc.get("strip_accents");
    if (strip == null || strip.isNull()) {
      normalizer.putNull("strip_accents");
    } else {
      normalizer.put("strip_accents", strip.asBoolean());
    }
    normalizer.put("handle_chinese_chars", tc.path("tokenize_chinese_chars").asBoolean(true));
    Path rebuilt = Files.createTempFile("transformers-tokenizer", ".json");
    try {
      Files.writeString(rebuilt, root.toString());
      return ids(rebuilt, texts);
    } finally {
      Files.deleteIfExists(rebuilt);
    }
  }

  /** Token ids through tokenizer.json alone (what Quarry reads). */
  public static List<long[]> ids(Path tokenizerJson, List<String> texts) throws IOException {
    try (HuggingFaceTokenizer t = HuggingFaceTokenizer.builder().optTokenizerPath(tokenizerJson).optTruncation(false)
        .optPadding(false).optAddSpecialTokens(true).build()) {
      List<long[]> out = new ArrayList<>();
      for (String text : texts) {
        out.add(t.encode(text).getIds());
      }
      return out;
    }
  }
}
