package dev.quarry.chunk;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.quarry.QuarryException;
import dev.quarry.TestModels;
import dev.quarry.encode.SentenceTransformer;
import dev.quarry.tokenize.TextTokenizer;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Chunks measured with MiniLM's real tokenizer. */
class ChunkerTest {
  private final SentenceTransformer minilm = TestModels.model(TestModels.MINILM);
  private final TextTokenizer tokenizer = minilm.documentTokenizer();

  private int tokens(String text) {
    return tokenizer.wordPieces(List.of(text)).get(0).size();
  }

  @Test
  void defaultSizeIsWhatTheModelReads() {
    // all-MiniLM-L6-v2 reads 256 word-pieces, two of them [CLS] and [SEP]; it has no document prompt.
    assertEquals(254, Chunker.defaultTokens(minilm));
    assertEquals(254, Chunker.forModel(minilm, null, 32).maxTokens());
    assertEquals(32, Chunker.forModel(minilm, null, null).overlapTokens());
    assertEquals(16, Chunker.forModel(minilm, 64, null).overlapTokens(), "a quarter of a small chunk");
    QuarryException tooLong = assertThrows(QuarryException.class, () -> Chunker.forModel(minilm, 300, 32));
    assertTrue(tooLong.getMessage().contains("254"), tooLong.getMessage());
  }

  @Test
  void shortTextIsOneChunkAndBlankTextNone() {
    Chunker c = new Chunker(tokenizer, 64, 8);
    List<Chunk> one = c.chunk("  Retrieval-augmented generation grounds answers.  ");
    assertEquals(1, one.size());
    assertEquals("Retrieval-augmented generation grounds answers.", one.get(0).text());
    assertEquals(2, one.get(0).start());
    assertTrue(c.chunk(" \n\n\t ").isEmpty());
  }

  @Test
  void chunksFitBreakAtParagraphsThenSentencesAndNeverMidWord() {
    String para = "Dense retrieval encodes queries and passages into vectors. Approximate nearest neighbour search finds the"
        + " closest passages quickly. Hybrid search fuses dense and lexical rankings with reciprocal rank fusion.";
    String text = String.join("\n\n", List.of(para, para.replace("Dense", "Sparse"), para.replace("Hybrid", "Cascaded"), para));
    Chunker c = new Chunker(tokenizer, 64, 16);
    List<Chunk> chunks = c.chunk(text);
    assertTrue(chunks.size() >= 4, "chunks: " + chunks.size());
    for (int i = 0; i < chunks.size(); i++) {
      Chunk ch = chunks.get(i);
      assertEquals(i, ch.index());
      assertEquals(text.substring(ch.start(), ch.end()), ch.text(), "offsets point at the chunk's text");
      assertTrue(ch.tokens() <= 64 && tokens(ch.text()) <= 64, "chunk " + i + " has " + tokens(ch.text()) + " tokens");
      assertEquals(tokens(ch.text()), ch.tokens(), "the count is what the tokenizer makes of the chunk alone");
      // Never mid-word: the characters on both sides of a boundary are not both letters.
      assertFalse(ch.start() > 0 && Character.isLetterOrDigit(text.charAt(ch.start() - 1)), "starts mid-word: " + ch.text());
      assertFalse(ch.end() < text.length() && Character.isLetterOrDigit(text.charAt(ch.end())), "ends mid-word: " + ch.text());
    }
    // Each paragraph is ~40 tokens: the first chunk ends at a paragraph break, not in the middle of a sentence.
    assertTrue(text.startsWith("\n\n", chunks.get(0).end()), "first chunk ends at a paragraph: " + chunks.get(0).text());
    // Consecutive chunks overlap by at most the overlap, and the text is covered without gaps.
    for (int i = 1; i < chunks.size(); i++) {
      Chunk prev = chunks.get(i - 1);
      Chunk next = chunks.get(i);
      assertTrue(next.start() <= prev.end() + 2, "gap between chunks " + (i - 1) + " and " + i);
      assertTrue(next.start() > prev.start());
      if (next.start() < prev.end()) {
        assertTrue(tokens(text.substring(next.start(), prev.end())) <= 16, "overlap over 16 tokens");
      }
    }
    assertEquals(text.length(), chunks.get(chunks.size() - 1).end());
  }

  @Test
  void sentencesBreakBeforeWordsAndOverlapStartsAtAWord() {
    String text = "First sentence about vectors and graphs here. " + "word ".repeat(40) + "Last sentence ends it.";
    Chunker c = new Chunker(tokenizer, 48, 8);
    List<Chunk> chunks = c.chunk(text);
    assertTrue(chunks.size() >= 2);
    assertTrue(chunks.get(1).start() > 0 && text.charAt(chunks.get(1).start() - 1) == ' ');
  }

  @Test
  void oneHugeWordIsCutBetweenTokensAndNonAsciiOffsetsHold() {
    // No space in 80 word-pieces (BERT splits at punctuation); a word over 100 characters would be one [UNK].
    String blob = "alpha-".repeat(40);
    String text = "🙂 emoji first, then a blob: " + blob + " and 東京の天気はどうですか 東京の天気はどうですか.";
    Chunker c = new Chunker(tokenizer, 32, 4);
    List<Chunk> chunks = c.chunk(text);
    assertTrue(chunks.size() > 3);
    for (Chunk ch : chunks) {
      assertEquals(text.substring(ch.start(), ch.end()), ch.text());
      assertTrue(ch.tokens() <= 32);
      // Offsets are UTF-16 indexes even after the emoji (two UTF-16 units, one code point): no chunk starts or ends with a space.
      assertEquals(ch.text().strip(), ch.text(), "chunk offsets are off: '" + ch.text() + "'");
    }
    assertTrue(chunks.get(0).text().startsWith("🙂"), chunks.get(0).text());
    assertTrue(chunks.get(chunks.size() - 1).text().endsWith("どうですか."), chunks.get(chunks.size() - 1).text());
  }

  @Test
  void aTitleComesOutOfEachChunksBudget() {
    String text = "word ".repeat(300);
    String title = "A fairly long title of about twelve word pieces here";
    int titleTokens = tokens(title);
    for (Chunk ch : new Chunker(tokenizer, 64, 8).chunk(text, title)) {
      assertTrue(ch.tokens() + titleTokens <= 64, "title + chunk fit: " + ch.tokens() + " + " + titleTokens);
    }
  }

  @Test
  void badSettingsAreRefused() {
    assertThrows(QuarryException.class, () -> new Chunker(tokenizer, 4, 0));
    assertThrows(QuarryException.class, () -> new Chunker(tokenizer, 64, 32));
  }
}
