package dev.quarry.tokenize;

/** One text's token ids and token type ids, unpadded (attention mask is all ones). */
public record TokenizedText(long[] ids, long[] typeIds) {
  public int length() {
    return ids.length;
  }
}
