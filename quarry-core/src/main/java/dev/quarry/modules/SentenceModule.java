package dev.quarry.modules;

/** A sentence-level module that runs after pooling (Dense, Normalize), in modules.json order. */
public interface SentenceModule {
  /** Transforms one sentence embedding; may return the same array, changed in place. */
  float[] apply(float[] embedding);

  /** Output dimension given the input dimension. */
  int outputDimension(int inputDimension);
}
