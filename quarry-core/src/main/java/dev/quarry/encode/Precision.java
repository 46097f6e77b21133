package dev.quarry.encode;

import dev.quarry.QuarryException;

/** Output precisions of sentence-transformers' {@code quantize_embeddings}. */
public enum Precision {
  FLOAT32("float32"),
  INT8("int8"),
  UINT8("uint8"),
  BINARY("binary"),
  UBINARY("ubinary");

  private final String id;

  Precision(String id) {
    this.id = id;
  }

  public String id() {
    return id;
  }

  public static Precision fromId(String id) {
    for (Precision p : values()) {
      if (p.id.equalsIgnoreCase(id)) {
        return p;
      }
    }
    throw new QuarryException("Unknown precision '" + id + "'. Valid: float32, int8, uint8, binary, ubinary.");
  }
}
