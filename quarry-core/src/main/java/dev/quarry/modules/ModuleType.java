package dev.quarry.modules;

import java.nio.file.Path;
import java.util.List;

/**
 * The one table of modules.json {@code type} names Quarry knows, old and new.
 *
 * <p>sentence-transformers names a module by its Python class path. Version 5.4 moved the classes
 * ({@code sentence_transformers.models.Transformer} became {@code
 * sentence_transformers.base.modules.transformer.Transformer}; the full map is {@code
 * DEPRECATED_MODULE_PATHS} in its {@code util/deprecated_import.py}), and 6.0 moved Normalize once
 * more. Folders saved by any version from 2 to 6 name one of the paths below; every path of a
 * module Quarry runs is accepted. Quarry itself writes the first (oldest) path of each, which
 * every version loads.
 */
public enum ModuleType {
  TRANSFORMER("Transformer",
      TransformerConfig.TYPE,
      "sentence_transformers.base.modules.transformer.Transformer"),
  POOLING("Pooling",
      PoolingConfig.TYPE,
      "sentence_transformers.sentence_transformer.modules.pooling.Pooling"),
  DENSE("Dense",
      Dense.TYPE,
      "sentence_transformers.base.modules.dense.Dense",
      "sentence_transformers.sentence_transformer.modules.dense.Dense"),
  NORMALIZE("Normalize",
      Normalize.TYPE,
      "sentence_transformers.sentence_transformer.modules.normalize.Normalize",
      "sentence_transformers.base.modules.normalize.Normalize"),
  /** {@code Router} (and its old alias {@code Asym}): one module list per route, e.g. query and document. */
  ROUTER("Router",
      "sentence_transformers.models.Router",
      "sentence_transformers.base.modules.router.Router",
      "sentence_transformers.models.Asym");

  private final String simpleName;
  private final List<String> paths;

  ModuleType(String simpleName, String... paths) {
    this.simpleName = simpleName;
    this.paths = List.of(paths);
  }

  /** Whether it runs after pooling, one sentence embedding at a time ({@link SentenceModule}). */
  public boolean isSentenceModule() {
    return this == DENSE || this == NORMALIZE;
  }

  /** Loads a sentence module's folder; each module reads its own files. */
  public SentenceModule load(Path dir) {
    return switch (this) {
      case DENSE -> Dense.readFolder(dir);
      case NORMALIZE -> Normalize.readFolder(dir);
      default -> throw new IllegalStateException(simpleName + " is not a sentence module: its folder is the model's own");
    };
  }

  /** The class name without its package ({@code Transformer}). */
  public String simpleName() {
    return simpleName;
  }

  /** The path Quarry writes: the oldest, which sentence-transformers 2 to 6 all load. */
  public String writtenPath() {
    return paths.get(0);
  }

  /** Every class path that names this module, oldest first. */
  public List<String> paths() {
    return paths;
  }

  /** The module a modules.json {@code type} names, or null when Quarry does not run it. */
  public static ModuleType of(String type) {
    for (ModuleType t : values()) {
      if (t.paths.contains(type)) {
        return t;
      }
    }
    return null;
  }

  /** True for a path of the current layout (sentence-transformers 5.4 and later). */
  public static boolean isCurrentLayout(String type) {
    return type.startsWith("sentence_transformers.base.") || type.startsWith("sentence_transformers.sentence_transformer.")
        || type.startsWith("sentence_transformers.sparse_encoder.modules.") || type.startsWith("sentence_transformers.cross_encoder.modules.");
  }

  /**
   * The model kind a module Quarry does not run belongs to ({@code SparseEncoder} for SPLADE's
   * modules, {@code CrossEncoder} for LogitScore), or null for any other module.
   */
  public static String kindOfForeignModule(String type) {
    String simple = type.substring(type.lastIndexOf('.') + 1);
    if (type.contains(".sparse_encoder.") || List.of("MLMTransformer", "SpladePooling", "SparseStaticEmbedding",
        "SparseAutoEncoder").contains(simple)) {
      return "SparseEncoder";
    }
    if (type.contains(".cross_encoder.") || simple.equals("LogitScore")) {
      return "CrossEncoder";
    }
    if (type.contains(".multi_vector_encoder.") || List.of("TokenPooling", "MultiVectorMask").contains(simple)) {
      return "MultiVectorEncoder";
    }
    return null;
  }
}
