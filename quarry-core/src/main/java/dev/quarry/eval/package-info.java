/**
 * Evaluation: sentence-transformers' InformationRetrievalEvaluator metrics (and trec_eval's
 * graded NDCG) over BEIR data, with model-card tables, CSV, JSON and TREC run output.
 */
package dev.quarry.eval;
