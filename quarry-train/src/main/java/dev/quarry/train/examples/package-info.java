/**
 * Training rows ((anchor, positive, negatives...) from BEIR qrels, JSONL or CSV, and a cross-encoder's
 * (query, documents, labels) rows from those or from labelled pairs, refused with file:line errors
 * when malformed) and the batch sampler that keeps duplicates out of a batch, so
 * that in-batch negatives are never secretly positives.
 */
package dev.quarry.train.examples;
