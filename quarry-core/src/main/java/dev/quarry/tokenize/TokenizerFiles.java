package dev.quarry.tokenize;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.quarry.QuarryException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The tokenizer files transformers reads beside {@code tokenizer.json}, derived from it so that
 * Python tokenizes a Quarry-written folder exactly as Quarry does.
 *
 * <p>Why it matters: transformers' fast BERT tokenizer rebuilds tokenizer.json's normaliser from
 * {@code tokenizer_config.json} whenever they disagree on {@code do_lower_case} (default true),
 * {@code strip_accents} (default null) or {@code tokenize_chinese_chars} (default true): the config
 * wins. A config saying {@code do_lower_case: false} beside an uncased vocabulary turns every
 * capitalised word into [UNK] in Python while Quarry, which reads tokenizer.json only, is fine.
 * So the config is written from the normaliser, never from sentence-transformers' own
 * {@code do_lower_case} (a different switch: lower-casing before the tokenizer), and a config that
 * a folder already has is checked against it.
 */
public final class TokenizerFiles {
  private static final ObjectMapper JSON = new ObjectMapper();

  /**
   * What a {@code BertNormalizer} in tokenizer.json does.
   *
   * @param stripAccents null: follow {@code lowercase}, as the tokenizers library does
   */
  public record BertNormalization(boolean lowercase, Boolean stripAccents, boolean handleChineseChars) {}

  private final Path file;
  private final JsonNode root;

  private TokenizerFiles(Path file, JsonNode root) {
    this.file = file;
    this.root = root;
  }

  /** Reads a tokenizer.json. */
  public static TokenizerFiles read(Path tokenizerJson) {
    try {
      return new TokenizerFiles(tokenizerJson, JSON.readTree(Files.readString(tokenizerJson, StandardCharsets.UTF_8)));
    } catch (IOException e) {
      throw new QuarryException("Cannot read " + tokenizerJson + ": " + e.getMessage(), e);
    }
  }

  /**
   * The normaliser of tokenizer.json as the switches of a BertNormalizer, or null when it is not
   * exactly one. transformers 5's {@code BertTokenizer} does not read tokenizer.json's normaliser:
   * it builds {@code BertNormalizer(clean_text=True, lowercase=do_lower_case,
   * strip_accents=strip_accents, handle_chinese_chars=tokenize_chinese_chars)} from
   * tokenizer_config.json (defaults true, null, true) in its place, whatever stood there, a
   * Sequence included (measured with transformers 5.18). So Python and Quarry agree only when
   * tokenizer.json's normaliser is one BertNormalizer with {@code clean_text} on, alone or as the
   * only member of a Sequence, and the config's switches are its own.
   */
  public BertNormalization bertNormalization() {
    JsonNode n = root.path("normalizer");
    if ("Sequence".equals(n.path("type").asText()) && n.path("normalizers").size() == 1) {
      n = n.path("normalizers").get(0);
    }
    if (!"BertNormalizer".equals(n.path("type").asText()) || !n.path("clean_text").asBoolean(true)) {
      return null;
    }
    JsonNode strip = n.get("strip_accents");
    return new BertNormalization(n.path("lowercase").asBoolean(true),
        strip == null || strip.isNull() ? null : strip.asBoolean(),
        n.path("handle_chinese_chars").asBoolean(true));
  }

  /** The normaliser in a few words, for messages: "BertNormalizer", "Sequence of BertNormalizer, Replace". */
  private String normalizerDescription() {
    JsonNode n = root.path("normalizer");
    if ("Sequence".equals(n.path("type").asText())) {
      List<String> parts = new ArrayList<>();
      n.path("normalizers").forEach(c -> parts.add(c.path("type").asText("?")));
      return "Sequence of " + String.join(", ", parts);
    }
    String type = n.path("type").asText("none");
    return "BertNormalizer".equals(type) && !n.path("clean_text").asBoolean(true) ? "BertNormalizer with clean_text false" : type;
  }

  /** unk, cls, sep, pad and mask tokens as transformers names them (those the tokenizer has). */
  public Map<String, String> specialTokens() {
    Map<String, String> out = new LinkedHashMap<>();
    JsonNode vocab = root.path("model").path("vocab");
    String unk = root.path("model").path("unk_token").asText(null);
    put(out, "unk_token", unk);
    JsonNode post = root.path("post_processor");
    if ("BertProcessing".equals(post.path("type").asText()) || "RobertaProcessing".equals(post.path("type").asText())) {
      put(out, "cls_token", post.path("cls").path(0).asText(null));
      put(out, "sep_token", post.path("sep").path(0).asText(null));
    } else if ("TemplateProcessing".equals(post.path("type").asText())) {
      // single: [CLS] $A [SEP]; the first and last special tokens are cls and sep.
      List<String> specials = new ArrayList<>();
      for (JsonNode piece : post.path("single")) {
        if (piece.has("SpecialToken")) {
          specials.add(piece.path("SpecialToken").path("id").asText());
        }
      }
      if (!specials.isEmpty()) {
        put(out, "cls_token", specials.get(0));
        put(out, "sep_token", specials.get(specials.size() - 1));
      }
    }
    String pad = root.path("padding").path("pad_token").asText(null);
    put(out, "pad_token", pad != null ? pad : vocab.has("[PAD]") ? "[PAD]" : null);
    put(out, "mask_token", vocab.has("[MASK]") ? "[MASK]" : null);
    return out;
  }

  private static void put(Map<String, String> m, String key, String value) {
    if (value != null) {
      m.put(key, value);
    }
  }

  /**
   * The {@code tokenizer_config.json} transformers needs to tokenize as tokenizer.json does.
   *
   * @param modelMaxLength the model's max_seq_length
   */
  public Map<String, Object> tokenizerConfig(int modelMaxLength) {
    BertNormalization n = requireBert();
    Map<String, Object> tc = new LinkedHashMap<>();
    tc.put("tokenizer_class", "BertTokenizer");
    tc.put("do_lower_case", n.lowercase());
    tc.put("strip_accents", n.stripAccents());
    tc.put("tokenize_chinese_chars", n.handleChineseChars());
    tc.put("do_basic_tokenize", true);
    tc.put("never_split", null);
    tc.put("clean_up_tokenization_spaces", true);
    tc.put("model_max_length", modelMaxLength);
    tc.putAll(specialTokens());
    return tc;
  }

  /** The WordPiece vocabulary in id order (vocab.txt), or null for other models. */
  public List<String> wordPieceVocab() {
    JsonNode model = root.path("model");
    if (!"WordPiece".equals(model.path("type").asText())) {
      return null;
    }
    String[] byId = new String[model.path("vocab").size()];
    for (Iterator<Map.Entry<String, JsonNode>> it = model.path("vocab").fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      int id = e.getValue().asInt(-1);
      if (id < 0 || id >= byId.length || byId[id] != null) {
        throw new QuarryException(file + ": WordPiece vocabulary ids are not 0.." + (byId.length - 1) + " (token '" + e.getKey() + "').");
      }
      byId[id] = e.getKey();
    }
    return List.of(byId);
  }

  /**
   * Fails, naming file and field, where the tokenizer files of {@code dir} would make transformers
   * tokenize otherwise than this tokenizer.json: the normaliser switches and special tokens of
   * tokenizer_config.json (absent keys read as transformers' defaults), special_tokens_map.json,
   * and vocab.txt line by line.
   */
  public void checkAgreement(Path dir) {
    List<String> problems = new ArrayList<>();
    BertNormalization n = bertNormalization();
    Map<String, String> specials = specialTokens();
    Path tcFile = dir.resolve("tokenizer_config.json");
    if (Files.isRegularFile(tcFile)) {
      JsonNode tc = readJson(tcFile);
      String tokenizerClass = tc.path("tokenizer_class").asText("");
      if (n == null && (tokenizerClass.equals("BertTokenizer") || tokenizerClass.equals("BertTokenizerFast"))) {
        problems.add(tcFile + " names " + tokenizerClass + ", which replaces tokenizer.json's normaliser (" + normalizerDescription()
            + ") with a plain BertNormalizer");
      }
      if (n != null) {
        expect(problems, tcFile, "do_lower_case", n.lowercase(), tc.path("do_lower_case").asBoolean(true));
        JsonNode strip = tc.get("strip_accents");
        expect(problems, tcFile, "strip_accents", n.stripAccents(), strip == null || strip.isNull() ? null : strip.asBoolean());
        expect(problems, tcFile, "tokenize_chinese_chars", n.handleChineseChars(), tc.path("tokenize_chinese_chars").asBoolean(true));
      }
      checkSpecials(problems, tcFile, tc, specials);
    }
    Path mapFile = dir.resolve("special_tokens_map.json");
    if (Files.isRegularFile(mapFile)) {
      checkSpecials(problems, mapFile, readJson(mapFile), specials);
    }
    Path vocabFile = dir.resolve("vocab.txt");
    List<String> vocab = wordPieceVocab();
    if (Files.isRegularFile(vocabFile) && vocab != null) {
      List<String> lines = readLines(vocabFile);
      if (lines.size() != vocab.size()) {
        problems.add(vocabFile + " has " + lines.size() + " tokens, " + file + " has " + vocab.size());
      } else {
        for (int i = 0; i < lines.size(); i++) {
          if (!lines.get(i).equals(vocab.get(i))) {
            problems.add(vocabFile + " line " + (i + 1) + " is '" + lines.get(i) + "', " + file + " has '" + vocab.get(i) + "' for id " + i);
            break;
          }
        }
      }
    }
    if (!problems.isEmpty()) {
      throw new QuarryException("The tokenizer files disagree with " + file + ", so transformers would tokenize differently: "
          + String.join("; ", problems) + ". Fix or delete the disagreeing file.");
    }
  }

  private static void expect(List<String> problems, Path f, String field, Object want, Object got) {
    if (!Objects.equals(want, got)) {
      problems.add(f + " field '" + field + "' is " + got + " but the tokenizer.json normaliser says " + want);
    }
  }

  private static void checkSpecials(List<String> problems, Path f, JsonNode config, Map<String, String> specials) {
    specials.forEach((key, want) -> {
      JsonNode v = config.get(key);
      if (v == null || v.isNull()) {
        return;
      }
      String got = v.isObject() ? v.path("content").asText() : v.asText();
      if (!want.equals(got)) {
        problems.add(f + " field '" + key + "' is '" + got + "' but tokenizer.json uses '" + want + "'");
      }
    });
  }

  /**
   * Writes the tokenizer files of a model folder to {@code target}: tokenizer.json itself; the
   * source folder's tokenizer_config.json, special_tokens_map.json and vocab.txt where it has them
   * (after checking that they agree); the rest derived from tokenizer.json.
   *
   * @param sourceDir the folder the tokenizer came from (may hold the other files), or null
   */
  public void writeFolder(Path sourceDir, Path target, int modelMaxLength) {
    try {
      Files.createDirectories(target);
      if (sourceDir != null) {
        checkAgreement(sourceDir);
      }
      Files.copy(file, target.resolve("tokenizer.json"), StandardCopyOption.REPLACE_EXISTING);
      for (String name : List.of("tokenizer_config.json", "special_tokens_map.json", "vocab.txt")) {
        Path src = sourceDir == null ? null : sourceDir.resolve(name);
        if (src != null && Files.isRegularFile(src)) {
          Files.copy(src, target.resolve(name), StandardCopyOption.REPLACE_EXISTING);
        } else {
          writeDerived(name, target.resolve(name), modelMaxLength);
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot write the tokenizer files to " + target, e);
    }
  }

  private void writeDerived(String name, Path out, int modelMaxLength) throws IOException {
    switch (name) {
      case "tokenizer_config.json" -> JSON.writerWithDefaultPrettyPrinter().writeValue(out.toFile(), tokenizerConfig(modelMaxLength));
      case "special_tokens_map.json" -> JSON.writerWithDefaultPrettyPrinter().writeValue(out.toFile(), specialTokens());
      case "vocab.txt" -> {
        List<String> vocab = wordPieceVocab();
        if (vocab != null) {
          Files.write(out, vocab, StandardCharsets.UTF_8);
        }
      }
      default -> throw new IllegalArgumentException(name);
    }
  }

  private BertNormalization requireBert() {
    BertNormalization n = bertNormalization();
    if (n == null) {
      throw new QuarryException(file + "'s normaliser (" + normalizerDescription() + ") is not one BertNormalizer with clean_text on,"
          + " the only normaliser transformers' BertTokenizer reproduces (it builds its own from tokenizer_config.json); Quarry"
          + " writes tokenizer files for BERT tokenizers only.");
    }
    return n;
  }

  private static JsonNode readJson(Path f) {
    try {
      return JSON.readTree(Files.readString(f, StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new QuarryException("Cannot read " + f + ": " + e.getMessage(), e);
    }
  }

  private static List<String> readLines(Path f) {
    try {
      return Files.readAllLines(f, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new QuarryException("Cannot read " + f + ": " + e.getMessage(), e);
    }
  }
}
