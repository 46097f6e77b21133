/**
 * Fine-tuning, sentence-transformers' {@code fit()}: {@link dev.quarry.train.TrainingArguments} (the
 * recipe) → {@link dev.quarry.train.Trainer} (batches from {@code data}, forward and backward through
 * {@code model} and {@code bert}, the loss from {@code loss}, the step from {@code optim}, evaluation
 * on the ONNX path, {@link dev.quarry.train.Checkpoints}) → {@code export} (the sentence-transformers
 * folder, model card and ONNX graph).
 *
 * <p>The only module that loads libtorch (DJL's PyTorch engine). Imports run from here to
 * quarry-core ({@code model}, {@code tokenize}, {@code eval}, {@code data}), never the other way:
 * inference must not drag in the training engine.
 */
package dev.quarry.train;
