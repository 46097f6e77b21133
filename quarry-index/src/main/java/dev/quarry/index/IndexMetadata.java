package dev.quarry.index;

import dev.quarry.QuarryException;
import dev.quarry.similarity.SimilarityFunction;
import java.util.HashMap;
import java.util.Map;

/**
 * What an index was built with, stored in every Lucene commit's user data: vectors from another
 * model (or another dimension or similarity) would silently give nonsense, so opening an index
 * with a different model is refused.
 *
 * @param modelId the model's display id (for messages: two different folders may share it)
 * @param modelFingerprint {@link dev.quarry.model.ModelFingerprint}: what the compatibility check compares
 * @param normalized whether the model's vectors are unit length (lets Lucene use DOT_PRODUCT)
 */
public record IndexMetadata(String modelId, String modelFingerprint, int dimension, SimilarityFunction similarity,
    boolean normalized) {
  static final String FORMAT_VERSION = "2";
  private static final String PREFIX = "quarry.";

  /** The metadata as key-value pairs (a Lucene commit's user data, or a Solr collection's metadata document). */
  public Map<String, String> toUserData() {
    Map<String, String> m = new HashMap<>();
    m.put(PREFIX + "format", FORMAT_VERSION);
    m.put(PREFIX + "model", modelId);
    m.put(PREFIX + "model_fingerprint", modelFingerprint);
    m.put(PREFIX + "dimension", Integer.toString(dimension));
    m.put(PREFIX + "similarity", similarity.id());
    m.put(PREFIX + "normalized", Boolean.toString(normalized));
    return m;
  }

  /** Reads {@link #toUserData()}'s pairs back; {@code where} names the index in errors. */
  public static IndexMetadata fromUserData(Map<String, String> m, String where) {
    String format = m.get(PREFIX + "format");
    if (format == null) {
      throw new QuarryException(where + " is a Lucene index but not a Quarry index (no quarry.* commit data).");
    }
    if (!format.equals(FORMAT_VERSION)) {
      throw new QuarryException(where + " has Quarry index format " + format + "; this version reads format "
          + FORMAT_VERSION + ". Rebuild the index with `quarry index`.");
    }
    return new IndexMetadata(m.get(PREFIX + "model"), m.get(PREFIX + "model_fingerprint"), Integer.parseInt(m.get(PREFIX + "dimension")),
        SimilarityFunction.fromId(m.get(PREFIX + "similarity")), Boolean.parseBoolean(m.get(PREFIX + "normalized")));
  }

  /** Throws unless {@code other} (the model about to be used) is the model whose vectors the index holds. */
  public void requireCompatible(IndexMetadata other, String where) {
    if (!modelFingerprint.equals(other.modelFingerprint) || dimension != other.dimension || similarity != other.similarity
        || normalized != other.normalized) {
      throw new QuarryException("Index " + where + " was built with " + describe() + " but the model in use is "
          + other.describe() + ". Use the same model, or rebuild the index with `quarry index --rebuild`.");
    }
  }

  private String describe() {
    return modelId + " (fingerprint " + modelFingerprint + ", " + dimension + "-d, " + similarity.id()
        + (normalized ? ", normalised" : ", not normalised") + ")";
  }
}
