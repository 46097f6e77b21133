/**
 * Quarry: sentence-transformers for the JVM. Data flows through the packages in this order:
 * {@code model} (HF / sentence-transformers folder layouts, configs, built-in models, hub
 * downloads) → {@code tokenize} → {@code inference} (ONNX Runtime) → {@code pooling} →
 * {@code encode} (the public {@link dev.quarry.encode.SentenceTransformer} API, quantisation) →
 * {@code similarity}.
 */
package dev.quarry;
