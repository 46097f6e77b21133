/**
 * Model folders: the sentence-transformers layout (modules.json, pooling, Dense, Normalize,
 * prompts), the built-in models and downloads from a model hub into a local cache.
 */
package dev.quarry.model;
