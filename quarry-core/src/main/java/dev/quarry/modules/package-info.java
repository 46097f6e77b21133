/**
 * The sentence modules that follow the transformer, as sentence-transformers' {@code models}
 * package has them: {@link dev.quarry.modules.Pooling} (token embeddings to one sentence
 * embedding, configured by {@link dev.quarry.modules.PoolingConfig}), {@link
 * dev.quarry.modules.Dense} and {@link dev.quarry.modules.Normalize}. Each names its modules.json
 * type ({@code TYPE}) and reads (and, where Quarry writes it, writes) its own folder.
 */
package dev.quarry.modules;
