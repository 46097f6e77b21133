package dev.quarry.rerank;

/** One input of a cross-encoder: a query and a passage (sentence-transformers' {@code (text_a, text_b)} pair). */
public record TextPair(String first, String second) {
  public TextPair {
    if (first == null || second == null) {
      throw new IllegalArgumentException("a text pair needs two texts; pass an empty string for an empty one");
    }
  }
}
