package dev.quarry.tokenize;

import java.util.List;

/**
 * One text's tokens as the model would see them, and whether truncation at the maximum length
 * dropped some (a server that is told not to truncate refuses such a text).
 */
public record Tokenization(List<Token> tokens, boolean truncated) {
  public Tokenization {
    tokens = List.copyOf(tokens);
  }

  public int length() {
    return tokens.size();
  }
}
