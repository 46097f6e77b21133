package dev.quarry.chunk;

import dev.quarry.QuarryException;
import dev.quarry.encode.SentenceTransformer;
import dev.quarry.tokenize.TextTokenizer;
import dev.quarry.tokenize.Token;
import java.util.ArrayList;
import java.util.List;

/**
 * Cuts texts into chunks of at most {@code maxTokens} word-pieces of the model's own tokenizer, so
 * that no part of a long document is cut off by the model's {@code max_seq_length}.
 *
 * <p>Each text is tokenised once, untruncated; chunks are runs of its tokens. A chunk ends where the
 * best break in the second half of its window lies: a paragraph (a blank line), else a sentence end
 * (. ! ? or a line break), else a space. It never ends inside a word: word-pieces and
 * punctuation glued to a word stay with it. Only a single "word" longer than the whole window (a
 * URL, a base64 blob, unspaced CJK text) is cut between tokens, preferring the start of a new word
 * piece. Consecutive chunks share about {@code overlapTokens} tokens, starting at a word boundary,
 * so that a sentence cut by a break is whole in one of them; a chunk that ends at a paragraph
 * break shares none.
 *
 * <p>Thread-safe (the tokenizer is).
 */
public final class Chunker {
  /** Overlap between consecutive chunks, in tokens, when none is given. */
  public static final int DEFAULT_OVERLAP = 32;

  private static final int NONE = -1;
  private static final int TOKEN = 0;
  private static final int WORD = 1;
  private static final int SENTENCE = 2;
  private static final int PARAGRAPH = 3;

  private final TextTokenizer tokenizer;
  private final int maxTokens;
  private final int overlapTokens;

  public Chunker(TextTokenizer tokenizer, int maxTokens, int overlapTokens) {
    if (maxTokens < 8) {
      throw new QuarryException("Chunks must hold at least 8 tokens; --chunk-tokens was " + maxTokens + ".");
    }
    if (overlapTokens < 0 || overlapTokens >= maxTokens / 2) {
      throw new QuarryException("The chunk overlap must be from 0 to less than half the chunk size (" + maxTokens / 2
          + " tokens); --chunk-overlap was " + overlapTokens + ".");
    }
    this.tokenizer = tokenizer;
    this.maxTokens = maxTokens;
    this.overlapTokens = overlapTokens;
  }

  /**
   * A chunker for {@code model}'s documents: {@code maxTokens} null means all the model reads, its
   * max_seq_length less its special tokens and its document prompt; {@code overlapTokens} null
   * means {@value #DEFAULT_OVERLAP}, or a quarter of a chunk for chunks under 128 tokens.
   */
  public static Chunker forModel(SentenceTransformer model, Integer maxTokens, Integer overlapTokens) {
    TextTokenizer t = model.documentTokenizer();
    int fits = defaultTokens(model);
    if (maxTokens != null && maxTokens > fits) {
      throw new QuarryException("--chunk-tokens " + maxTokens + " is more than " + model.folder().modelId() + " reads: "
          + fits + " tokens (max_seq_length " + model.maxSeqLength() + " less special tokens and document prompt).");
    }
    int size = maxTokens == null ? fits : maxTokens;
    return new Chunker(t, size, overlapTokens != null ? overlapTokens : Math.min(DEFAULT_OVERLAP, size / 4));
  }

  /** What {@code model} reads of one document: max_seq_length less special tokens and the document prompt. */
  public static int defaultTokens(SentenceTransformer model) {
    TextTokenizer t = model.documentTokenizer();
    String prompt = model.documentPrompt();
    int promptTokens = prompt.isEmpty() ? 0 : t.wordPieces(List.of(prompt)).get(0).size();
    return model.maxSeqLength() - t.specialTokensPerText() - promptTokens;
  }

  public int maxTokens() {
    return maxTokens;
  }

  public int overlapTokens() {
    return overlapTokens;
  }

  /** The chunks of one text (none for a blank text). */
  public List<Chunk> chunk(String text) {
    return chunkAll(List.of(text)).get(0);
  }

  /**
   * The chunks of a text that will be encoded behind {@code title} (as title + " " + chunk, the
   * way BEIR joins them): the title's tokens come out of each chunk's budget, down to half of it, so
   * that the model still reads every chunk whole.
   */
  public List<Chunk> chunk(String text, String title) {
    if (title == null || title.isBlank()) {
      return chunk(text);
    }
    List<List<Token>> pieces = tokenizer.wordPieces(List.of(text, title));
    int window = Math.max(maxTokens - pieces.get(1).size(), maxTokens / 2);
    return split(text, pieces.get(0), window, Math.min(overlapTokens, window / 2 - 1));
  }

  /** The chunks of each text, tokenised in one batch. */
  public List<List<Chunk>> chunkAll(List<String> texts) {
    List<List<Token>> pieces = tokenizer.wordPieces(texts);
    List<List<Chunk>> out = new ArrayList<>(texts.size());
    for (int i = 0; i < texts.size(); i++) {
      out.add(split(texts.get(i), pieces.get(i), maxTokens, overlapTokens));
    }
    return out;
  }

  private static List<Chunk> split(String text, List<Token> tokens, int maxTokens, int overlapTokens) {
    int n = tokens.size();
    List<Chunk> chunks = new ArrayList<>();
    if (n == 0) {
      return chunks;
    }
    int[] breakBefore = new int[n + 1]; // strength of a cut just before token i (n: the end)
    breakBefore[0] = PARAGRAPH;
    breakBefore[n] = PARAGRAPH;
    for (int i = 1; i < n; i++) {
      breakBefore[i] = strength(text, tokens.get(i - 1), tokens.get(i));
    }
    int a = 0;
    while (a < n) {
      int b = n - a <= maxTokens ? n : cut(breakBefore, a, maxTokens);
      chunks.add(chunkOf(text, tokens, chunks.size(), a, b));
      if (b == n) {
        break;
      }
      a = nextStart(breakBefore, a, b, overlapTokens);
    }
    return chunks;
  }

  /** Where the chunk starting at token {@code a} ends: the strongest break in the window's second half, latest first. */
  private static int cut(int[] breakBefore, int a, int maxTokens) {
    int limit = a + maxTokens;
    int half = a + maxTokens / 2;
    for (int level = PARAGRAPH; level >= TOKEN; level--) {
      int from = level >= WORD ? half : a + 1; // a word break anywhere beats a cut inside a word
      for (int b = limit; b >= from; b--) {
        if (breakBefore[b] >= level) {
          return b;
        }
      }
      if (level == WORD) {
        for (int b = half - 1; b > a; b--) {
          if (breakBefore[b] >= WORD) {
            return b;
          }
        }
      }
    }
    return limit; // one word-piece run longer than the window
  }

  /**
   * Where the next chunk starts: the first word boundary within the overlap before {@code b}, else
   * {@code b}. A cut at a paragraph break gets no overlap: nothing was cut mid-thought there, and
   * the next chunk then starts where its paragraph (and, in a PDF, its page) does.
   */
  private static int nextStart(int[] breakBefore, int a, int b, int overlapTokens) {
    if (breakBefore[b] == PARAGRAPH) {
      return b;
    }
    for (int s = Math.max(a + 1, b - overlapTokens); s < b; s++) {
      if (breakBefore[s] >= WORD) {
        return s;
      }
    }
    return b;
  }

  private static Chunk chunkOf(String text, List<Token> tokens, int index, int a, int b) {
    int start = tokens.get(a).start();
    int end = tokens.get(b - 1).end();
    return new Chunk(index, text.substring(start, end), start, end, b - a);
  }

  /** How good a place to cut the gap between two tokens is. */
  private static int strength(String text, Token before, Token after) {
    int gapStart = before.end();
    int gapEnd = after.start();
    if (gapEnd <= gapStart) {
      // No space between: the same word, unless a new word-piece run starts (CJK, a run split by the tokenizer).
      return after.text().startsWith("##") ? NONE : TOKEN;
    }
    int newlines = 0;
    for (int i = gapStart; i < gapEnd; i++) {
      if (text.charAt(i) == '\n') {
        newlines++;
      }
    }
    if (newlines >= 2) {
      return PARAGRAPH;
    }
    if (newlines == 1 || endsSentence(text, gapStart)) {
      return SENTENCE;
    }
    return WORD;
  }

  /** Whether the text just before {@code at} ends a sentence: . ! ? (or 。！？), perhaps followed by a closing quote or bracket. */
  private static boolean endsSentence(String text, int at) {
    int i = at - 1;
    while (i >= 0 && "\"')]»”’".indexOf(text.charAt(i)) >= 0) {
      i--;
    }
    return i >= 0 && ".!?。！？".indexOf(text.charAt(i)) >= 0;
  }
}
