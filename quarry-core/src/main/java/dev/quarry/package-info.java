/**
 * Quarry: sentence-transformers for the JVM. Data flows through the packages in this order:
 * {@code model} (HF / sentence-transformers folder layouts, configs, built-in models, hub
 * downloads) → {@code tokenize} → {@code inference} (ONNX Runtime) → {@code pooling} →
 * {@code encode} (the public {@link dev.quarry.encode.SentenceTransformer} API, quantisation) →
 * {@code similarity}; then {@code data} (BEIR corpora, queries, qrels) → {@code search} (exact
 * top-k, the {@link dev.quarry.search.Retriever} seam, rank fusion) → {@code eval} (the
 * InformationRetrievalEvaluator's metrics).
 *
 * <p>Imports run against the data flow, never with it: a package may import those before it, plus
 * {@code io} (file formats, JSON, safe files) and this root package ({@link dev.quarry.QuarryException}
 * for the user's errors, {@link dev.quarry.QuarryFailure} for the environment's). So {@code
 * encode} may use {@code pooling} and {@code model}, but {@code model} never imports {@code
 * encode}, and nothing in quarry-core imports the index, server, training or CLI modules.
 */
package dev.quarry;
