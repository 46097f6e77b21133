/**
 * Fine-tuning, sentence-transformers' {@code fit()}: {@link dev.quarry.train.TrainingArguments} (the
 * recipe, which also builds the run's loss object and resolves its defaults) → {@link
 * dev.quarry.train.Trainer} (batches from {@code examples}, forward and backward through {@code
 * network} and {@code bert}, the loss from {@code loss}, the step from {@code optim}, evaluation on
 * the ONNX path, {@link dev.quarry.train.Checkpoints}) → {@code export} (the sentence-transformers
 * folder, model card and ONNX graph). {@link dev.quarry.train.FineTuning} is the one call that does
 * all of it.
 *
 * <p>Packages are layered ({@code PackageLayersTest}): {@code examples}, {@code bert} &lt; {@code
 * optim}, {@code network}, {@code loss} &lt; {@code export} (which knows a loss only by its {@link
 * dev.quarry.train.loss.LossCard}) &lt; this package.
 *
 * <p>The only module that loads libtorch (DJL's PyTorch engine). Imports run from here to
 * quarry-core ({@code model}, {@code tokenize}, {@code eval}, {@code data}), never the other way:
 * inference must not drag in the training engine.
 */
package dev.quarry.train;
