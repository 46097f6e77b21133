/**
 * The second stage: cross-encoders (rerankers) that score query-passage pairs with a
 * classification head, as sentence-transformers' {@code CrossEncoder} does ({@link
 * dev.quarry.rerank.CrossEncoder}: {@code predict}, {@code rank}). Above {@code encode} in the
 * layering (it shares its {@code RuntimeOptions}), below {@code search}, whose rerank stage it serves.
 */
package dev.quarry.rerank;
