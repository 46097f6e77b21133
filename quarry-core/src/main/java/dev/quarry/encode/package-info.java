/**
 * The public encoding API: {@link dev.quarry.encode.SentenceTransformer#encode} with
 * sentence-transformers' options (batch size, prompts, normalisation, Matryoshka truncation,
 * quantised precisions).
 */
package dev.quarry.encode;
