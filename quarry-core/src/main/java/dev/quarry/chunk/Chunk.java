package dev.quarry.chunk;

/**
 * One piece of a longer text.
 *
 * @param index its position among the text's chunks, from 0
 * @param text the text between {@code start} and {@code end}, exactly as in the source
 * @param start offset of its first character in the source text
 * @param end offset just past its last character
 * @param tokens its word-pieces, special tokens not counted
 */
public record Chunk(int index, String text, int start, int end, int tokens) {}
