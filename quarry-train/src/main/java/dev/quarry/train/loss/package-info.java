/**
 * Losses over a batch of embeddings, as sentence-transformers defines them ({@code
 * MultipleNegativesRankingLoss}, its cached GradCache form, {@code MatryoshkaLoss} around either),
 * and {@link dev.quarry.train.loss.TrainingLoss}, the one loss object a run trains with and its
 * model card describes ({@link dev.quarry.train.loss.LossCard}); and the cross-encoder losses over a
 * batch of (query, documents, labels) rows ({@link dev.quarry.train.loss.CrossEncoderLoss}:
 * BinaryCrossEntropyLoss, the cross-encoder MultipleNegativesRankingLoss, ListNetLoss).
 */
package dev.quarry.train.loss;
