package dev.quarry.rerank;

/**
 * One entry of {@link CrossEncoder#rank}: as sentence-transformers' {@code rank} returns it.
 *
 * @param corpusId the document's index in the list given
 * @param score the cross-encoder's score (after its activation)
 * @param text the document, or null when not asked for
 */
public record RankedDocument(int corpusId, float score, String text) {}
