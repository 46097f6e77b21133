/**
 * Losses over a batch of embeddings, as sentence-transformers defines them ({@code
 * MultipleNegativesRankingLoss}, its cached GradCache form, {@code MatryoshkaLoss} around either),
 * and {@link dev.quarry.train.loss.TrainingLoss}, the one loss object a run trains with and its
 * model card describes ({@link dev.quarry.train.loss.LossCard}).
 */
package dev.quarry.train.loss;
