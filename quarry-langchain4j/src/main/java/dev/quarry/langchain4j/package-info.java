/**
 * Quarry's models inside LangChain4j, in-process: {@link dev.quarry.langchain4j.QuarryEmbeddingModel}
 * (any sentence-transformers model, in place of {@code AllMiniLmL6V2EmbeddingModel}) and {@link
 * dev.quarry.langchain4j.QuarryScoringModel} (any cross-encoder, for {@code
 * ReRankingContentAggregator}). The user's {@code EmbeddingStore} stays as it is.
 */
package dev.quarry.langchain4j;
