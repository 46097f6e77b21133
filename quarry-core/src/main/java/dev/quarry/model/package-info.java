/**
 * Model folders: the sentence-transformers layout of every version from 2 to 6 (modules.json,
 * the Transformer, Pooling, Dense and Normalize modules, prompts) read into a {@link
 * dev.quarry.model.ModelFolder}; Router models' {@link dev.quarry.model.Routes}; what kind of model a
 * folder holds ({@link dev.quarry.model.ModelKind}) and a description of any folder ({@link
 * dev.quarry.model.ModelInfo}); the built-in models; downloads from a model hub into a local cache;
 * and model fingerprints.
 */
package dev.quarry.model;
