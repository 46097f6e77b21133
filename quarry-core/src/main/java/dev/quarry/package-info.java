/**
 * Quarry: sentence-transformers for the JVM. Data flows through the packages in this order:
 * {@code model} (HF / sentence-transformers folder layouts, configs, built-in models, hub
 * downloads) → {@code tokenize} → {@code inference} (ONNX Runtime) → {@code modules} (Pooling, Dense, Normalize) →
 * {@code encode} (the public {@link dev.quarry.encode.SentenceTransformer} API, quantisation) →
 * {@code similarity}; then {@code data} (BEIR corpora, queries, qrels) → {@code search} (exact
 * top-k, the {@link dev.quarry.search.Retriever} seam, rank fusion) → {@code eval} (the
 * InformationRetrievalEvaluator's metrics) and {@code mine} (hard negatives for training).
 *
 * <p>Packages are layered, and a package imports only from lower layers (checked by {@code
 * PackageLayersTest}): {@code io} (file formats, JSON) &lt; {@code similarity}, {@code tokenize},
 * {@code inference}, {@code modules}, {@code data} (they know nothing of each other) &lt; {@code model} (reads a
 * folder and builds its modules) &lt; {@code encode} &lt; {@code rerank} &lt; {@code search} &lt; {@code eval}, {@code mine}. This root
 * package ({@link dev.quarry.QuarryException} for the user's errors, {@link dev.quarry.QuarryFailure}
 * for the environment's) is below them all. Nothing in quarry-core imports the index, server,
 * training or CLI modules.
 */
package dev.quarry;
