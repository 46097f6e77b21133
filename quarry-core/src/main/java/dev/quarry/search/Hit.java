package dev.quarry.search;

/**
 * One retrieved document.
 *
 * @param id the document's {@code _id}
 * @param score the similarity (or fused rank score, in hybrid mode; the cross-encoder's score after
 *     reranking); higher is better
 */
public record Hit(String id, float score) {}
