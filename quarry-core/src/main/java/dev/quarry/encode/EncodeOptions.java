package dev.quarry.encode;

import dev.quarry.QuarryException;

/**
 * The keyword arguments of sentence-transformers' {@code encode}, as an immutable value with
 * withers: {@code EncodeOptions.defaults().withBatchSize(64).withPromptName("query")}.
 *
 * @param batchSize texts per inference (sentence-transformers' default: 32)
 * @param normalize L2-normalise the final vectors (after truncation to {@code truncateDim})
 * @param promptName a prompt of the model's config_sentence_transformers.json, or null
 * @param prompt a literal prompt prepended to every text; overrides promptName; null for none
 * @param maxLength tokens kept per text, or 0 for the model's max_seq_length
 * @param precision output precision
 * @param truncateDim keep only the first n dimensions (Matryoshka), or 0 for all
 * @param progress told how far a long call has got
 */
public record EncodeOptions(
    int batchSize,
    boolean normalize,
    String promptName,
    String prompt,
    int maxLength,
    Precision precision,
    int truncateDim,
    ProgressListener progress) {

  public static final int DEFAULT_BATCH_SIZE = 32;

  public EncodeOptions {
    if (batchSize <= 0) {
      throw new QuarryException("batch size must be positive, got " + batchSize);
    }
    if (maxLength < 0) {
      throw new QuarryException("max length must be positive (or 0 for the model's own), got " + maxLength);
    }
    if (truncateDim < 0) {
      throw new QuarryException("truncate_dim must be positive (or 0 for all dimensions), got " + truncateDim);
    }
    if (precision == null) {
      precision = Precision.FLOAT32;
    }
    if (progress == null) {
      progress = ProgressListener.NONE;
    }
  }

  /** sentence-transformers' defaults: batch 32, no extra normalisation, no prompt, float32. */
  public static EncodeOptions defaults() {
    return new EncodeOptions(DEFAULT_BATCH_SIZE, false, null, null, 0, Precision.FLOAT32, 0, null);
  }

  public EncodeOptions withBatchSize(int v) {
    return new EncodeOptions(v, normalize, promptName, prompt, maxLength, precision, truncateDim, progress);
  }

  public EncodeOptions withNormalize(boolean v) {
    return new EncodeOptions(batchSize, v, promptName, prompt, maxLength, precision, truncateDim, progress);
  }

  public EncodeOptions withPromptName(String v) {
    return new EncodeOptions(batchSize, normalize, v, prompt, maxLength, precision, truncateDim, progress);
  }

  public EncodeOptions withPrompt(String v) {
    return new EncodeOptions(batchSize, normalize, promptName, v, maxLength, precision, truncateDim, progress);
  }

  public EncodeOptions withMaxLength(int v) {
    return new EncodeOptions(batchSize, normalize, promptName, prompt, v, precision, truncateDim, progress);
  }

  public EncodeOptions withPrecision(Precision v) {
    return new EncodeOptions(batchSize, normalize, promptName, prompt, maxLength, v, truncateDim, progress);
  }

  public EncodeOptions withTruncateDim(int v) {
    return new EncodeOptions(batchSize, normalize, promptName, prompt, maxLength, precision, v, progress);
  }

  public EncodeOptions withProgress(ProgressListener v) {
    return new EncodeOptions(batchSize, normalize, promptName, prompt, maxLength, precision, truncateDim, v);
  }
}
