/**
 * Fine-tuning, sentence-transformers' {@code fit()} and {@code CrossEncoderTrainer}: {@link
 * dev.quarry.train.TrainingArguments} (the recipe) → {@link dev.quarry.train.Trainer} (optimizer,
 * schedule, clipping, evaluation, {@link dev.quarry.train.Checkpoints}, resumption) around a {@link
 * dev.quarry.train.TrainingObjective}, which is what differs between a bi-encoder ({@link
 * dev.quarry.train.BiEncoderObjective}: embeddings and an embedding loss, the IR evaluation) and a
 * cross-encoder ({@link dev.quarry.train.CrossEncoderObjective}: pair logits and a cross-encoder loss,
 * the reranking evaluation) → {@code export} (the folder, model card and ONNX graph). {@link
 * dev.quarry.train.FineTuning} and {@link dev.quarry.train.CrossEncoderFineTuning} are the one calls
 * that do all of it.
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
