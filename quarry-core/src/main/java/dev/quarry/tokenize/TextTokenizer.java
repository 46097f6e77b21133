package dev.quarry.tokenize;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.djl.huggingface.tokenizers.jni.CharSpan;
import ai.djl.util.PairList;
import dev.quarry.QuarryException;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A Hugging Face fast tokenizer (tokenizer.json, via DJL's Rust binding) set up the way
 * sentence-transformers uses it: truncation at the model's max_seq_length and no padding, whatever
 * tokenizer.json says (LangChain4j's files fix both at 128). Padding happens per batch, later.
 */
public final class TextTokenizer implements AutoCloseable {
  private final HuggingFaceTokenizer tokenizer;
  /** The same tokenizer without truncation or special tokens, made on first use: what a chunker measures with. */
  private volatile HuggingFaceTokenizer measuring;
  private final Path file;
  private final int maxLength;
  private final boolean lowerCase;

  /**
   * @param lowerCase lower-case texts first, as sentence-transformers' Transformer does when
   *     {@code do_lower_case} is set
   */
  public TextTokenizer(Path tokenizerJson, int maxLength, boolean lowerCase) {
    this.file = tokenizerJson;
    this.maxLength = maxLength;
    this.lowerCase = lowerCase;
    try {
      this.tokenizer = HuggingFaceTokenizer.builder()
          .optTokenizerPath(tokenizerJson)
          .optTruncation(true)
          .optMaxLength(maxLength)
          .optPadding(false)
          .optAddSpecialTokens(true)
          .build();
    } catch (IOException | RuntimeException e) {
      throw new QuarryException("Cannot load tokenizer " + tokenizerJson + ": " + e.getMessage()
          + ". The file is missing or corrupt; re-download it.", e);
    }
  }

  public int maxLength() {
    return maxLength;
  }

  /** Tokenises one text (special tokens added, truncated). */
  public TokenizedText encode(String text) {
    return toTokenized(tokenizer.encode(prepare(text)));
  }

  /** Tokenises many texts; the Rust side spreads the work over its own threads. */
  public TokenizedText[] encodeAll(List<String> texts) {
    String[] prepared = new String[texts.size()];
    for (int i = 0; i < prepared.length; i++) {
      prepared[i] = prepare(texts.get(i));
    }
    Encoding[] enc = tokenizer.batchEncode(prepared);
    TokenizedText[] out = new TokenizedText[enc.length];
    for (int i = 0; i < enc.length; i++) {
      out[i] = toTokenized(enc[i]);
    }
    return out;
  }

  /**
   * Tokenises text pairs as the tokenizer's pair template lays them out ({@code [CLS] a [SEP] b
   * [SEP]} for BERT, token types 0 then 1), truncating the longer side first, token by token, as
   * transformers' {@code longest_first} does: the input of a cross-encoder.
   */
  public TokenizedText[] encodePairs(List<String> first, List<String> second) {
    Encoding[] enc = encodePairEncodings(first, second);
    TokenizedText[] out = new TokenizedText[enc.length];
    for (int i = 0; i < enc.length; i++) {
      out[i] = toTokenized(enc[i]);
    }
    return out;
  }

  private Encoding[] encodePairEncodings(List<String> first, List<String> second) {
    if (first.size() != second.size()) {
      throw new IllegalArgumentException(first.size() + " first texts but " + second.size() + " second texts");
    }
    PairList<String, String> pairs = new PairList<>(first.size());
    for (int i = 0; i < first.size(); i++) {
      pairs.add(prepare(first.get(i)), prepare(second.get(i)));
    }
    return tokenizer.batchEncode(pairs);
  }

  /**
   * Number of tokens a prompt contributes at the start of a text, as sentence-transformers
   * computes {@code prompt_length}: the tokenised prompt minus its trailing special token.
   */
  public int promptLength(String prompt) {
    Encoding e = tokenizer.encode(prepare(prompt));
    return Math.max(0, e.getIds().length - 1);
  }

  /**
   * Each text's tokens with their ids, strings, character offsets and special flags, truncated as
   * {@link #encodeAll} truncates, and whether truncation dropped tokens. Offsets are into the text
   * the tokenizer read: the text itself, lower-cased first for a {@code do_lower_case} model.
   */
  public List<Tokenization> inspect(List<String> texts) {
    String[] prepared = new String[texts.size()];
    for (int i = 0; i < prepared.length; i++) {
      prepared[i] = prepare(texts.get(i));
    }
    Encoding[] enc = tokenizer.batchEncode(prepared);
    List<Tokenization> out = new ArrayList<>(enc.length);
    for (Encoding e : enc) {
      long[] ids = e.getIds();
      String[] strings = e.getTokens();
      long[] special = e.getSpecialTokenMask();
      CharSpan[] spans = e.getCharTokenSpans();
      List<Token> tokens = new ArrayList<>(ids.length);
      for (int t = 0; t < ids.length; t++) {
        boolean isSpecial = special[t] == 1;
        CharSpan span = isSpecial || spans == null || t >= spans.length ? null : spans[t];
        tokens.add(new Token(ids[t], strings[t], isSpecial, span == null ? -1 : span.getStart(), span == null ? -1 : span.getEnd()));
      }
      out.add(new Tokenization(tokens, e.exceedMaxLength()));
    }
    return out;
  }

  /**
   * Whether each pair is longer than the maximum length, so that {@link #encodePairs} cuts it (a
   * server told not to truncate refuses such a pair).
   */
  public boolean[] pairsExceedMaxLength(List<String> first, List<String> second) {
    Encoding[] enc = encodePairEncodings(first, second);
    boolean[] out = new boolean[enc.length];
    for (int i = 0; i < enc.length; i++) {
      out[i] = enc[i].exceedMaxLength();
    }
    return out;
  }

  /**
   * Each text's word-pieces, untruncated and without special tokens, with their character spans in
   * the text as given (no lower-casing first: the spans must point into the caller's string, and
   * the tokenizer's own normaliser lower-cases an uncased model). What {@link
   * dev.quarry.chunk.Chunker} measures chunks with.
   */
  public List<List<Token>> wordPieces(List<String> texts) {
    Encoding[] enc = measuring().batchEncode(texts.toArray(String[]::new));
    List<List<Token>> out = new ArrayList<>(enc.length);
    for (int i = 0; i < enc.length; i++) {
      Encoding e = enc[i];
      long[] ids = e.getIds();
      String[] strings = e.getTokens();
      CharSpan[] spans = e.getCharTokenSpans();
      int[] utf16 = utf16Offsets(texts.get(i));
      List<Token> tokens = new ArrayList<>(ids.length);
      for (int t = 0; t < ids.length; t++) {
        CharSpan span = spans == null || t >= spans.length ? null : spans[t];
        if (span != null) {
          tokens.add(new Token(ids[t], strings[t], false, at(utf16, span.getStart()), at(utf16, span.getEnd())));
        }
      }
      out.add(tokens);
    }
    return out;
  }

  /**
   * The Rust tokenizer counts offsets in Unicode code points; Java strings index UTF-16 units, which
   * differ after any character outside the BMP (emoji). Null when the text has none.
   */
  private static int[] utf16Offsets(String text) {
    int points = text.codePointCount(0, text.length());
    if (points == text.length()) {
      return null;
    }
    int[] map = new int[points + 1];
    for (int cp = 0, ch = 0; cp < points; cp++) {
      map[cp] = ch;
      ch += Character.charCount(text.codePointAt(ch));
    }
    map[points] = text.length();
    return map;
  }

  private static int at(int[] utf16, int codePoint) {
    return utf16 == null ? codePoint : utf16[Math.min(codePoint, utf16.length - 1)];
  }

  /** Tokens the tokenizer adds around one text ([CLS] and [SEP] for BERT). */
  public int specialTokensPerText() {
    return tokenizer.encode("").getIds().length;
  }

  private HuggingFaceTokenizer measuring() {
    HuggingFaceTokenizer m = measuring;
    if (m == null) {
      synchronized (this) {
        m = measuring;
        if (m == null) {
          try {
            m = HuggingFaceTokenizer.builder().optTokenizerPath(file).optTruncation(false).optPadding(false)
                .optAddSpecialTokens(false).build();
          } catch (IOException | RuntimeException e) {
            throw new QuarryException("Cannot load tokenizer " + file + ": " + e.getMessage(), e);
          }
          measuring = m;
        }
      }
    }
    return m;
  }

  /** Splits a text into its word-piece strings (for display and debugging). */
  public List<String> tokens(String text) {
    return List.of(tokenizer.encode(prepare(text)).getTokens());
  }

  private String prepare(String text) {
    return lowerCase ? text.toLowerCase(Locale.ROOT) : text;
  }

  private static TokenizedText toTokenized(Encoding e) {
    return new TokenizedText(e.getIds(), e.getTypeIds());
  }

  public Path file() {
    return file;
  }

  @Override
  public void close() {
    tokenizer.close();
    HuggingFaceTokenizer m = measuring;
    if (m != null) {
      m.close();
    }
  }
}
