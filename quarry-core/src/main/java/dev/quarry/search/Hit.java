package dev.quarry.search;

/** One retrieved document: its position in the corpus, its id and its score. */
public record Hit(int index, String id, float score) {}
