/**
 * The modules of a sentence-transformers folder, as its {@code models} package has them: the
 * Transformer's config ({@link dev.quarry.modules.TransformerConfig}), {@link
 * dev.quarry.modules.Pooling} (configured by {@link dev.quarry.modules.PoolingConfig}), {@link
 * dev.quarry.modules.Dense} and {@link dev.quarry.modules.Normalize}. Each loads and saves its own
 * folder ({@link dev.quarry.modules.ModuleType#load}, {@link dev.quarry.modules.SentenceModule#save}),
 * {@link dev.quarry.modules.ModuleType} is the one table of their class paths, and {@link
 * dev.quarry.modules.ModulesFile} writes the modules.json that lists them, so neither the folder
 * reader nor the trainer's writer knows a module's files.
 */
package dev.quarry.modules;
