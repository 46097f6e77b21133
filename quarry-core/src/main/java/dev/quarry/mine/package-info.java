/**
 * Hard-negative mining, sentence-transformers' {@code mine_hard_negatives}: for each (query,
 * positive) of a BEIR split, candidates from a {@link dev.quarry.search.Retriever} (the model's
 * exact search, or an index's BM25 / hybrid), the judged positives and near-positives removed,
 * negatives kept from the top or at random, written as JSONL rows for {@code quarry train
 * --train-file}.
 */
package dev.quarry.mine;
