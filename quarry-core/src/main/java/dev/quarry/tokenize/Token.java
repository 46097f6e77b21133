package dev.quarry.tokenize;

/**
 * One token of a tokenised text, as TEI's {@code /tokenize} shows it.
 *
 * @param id the vocabulary id
 * @param text the token's string (a word-piece such as {@code ##ing}, or {@code [CLS]})
 * @param special whether the tokenizer added it ({@code [CLS]}, {@code [SEP]}); special tokens
 *     have no place in the text, so {@code start} and {@code end} are -1
 * @param start offset of its first character in the text, or -1
 * @param end offset just past its last character, or -1
 */
public record Token(long id, String text, boolean special, int start, int end) {}
