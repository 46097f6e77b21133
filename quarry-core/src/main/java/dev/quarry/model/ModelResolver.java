package dev.quarry.model;

import dev.quarry.Quarry;
import dev.quarry.QuarryException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.BiFunction;

/**
 * Turns what a user types after {@code --model} into a model folder: a local path, a built-in
 * model (full hub id or short name), or a hub id ({@code org/name}, optionally {@code @revision}),
 * downloaded into the cache.
 *
 * <p>Environment: {@code QUARRY_HOME} (cache, default ~/.cache/quarry), {@code QUARRY_HUB_URL}
 * (or {@code HF_ENDPOINT}), {@code QUARRY_OFFLINE=1} (or {@code HF_HUB_OFFLINE=1}), {@code HF_TOKEN}.
 */
public record ModelResolver(Path cacheDir, String hubEndpoint, boolean offline, String token) {
  /** Downloads are reported here (the CLI prints INFO lines as "quarry: ..."). */
  private static final System.Logger LOG = System.getLogger(ModelResolver.class.getName());


  /** Settings from the environment. */
  public static ModelResolver defaults() {
    Path cache = Quarry.home();
    String hub = firstNonNull(System.getenv("QUARRY_HUB_URL"), System.getenv("HF_ENDPOINT"), HubClient.DEFAULT_ENDPOINT);
    boolean offline = "1".equals(System.getenv("QUARRY_OFFLINE")) || "1".equals(System.getenv("HF_HUB_OFFLINE"));
    return new ModelResolver(cache, hub, offline, System.getenv("HF_TOKEN"));
  }

  public ModelResolver withOffline(boolean v) {
    return new ModelResolver(cacheDir, hubEndpoint, v, token);
  }

  public ModelResolver withHubEndpoint(String v) {
    return new ModelResolver(cacheDir, v, offline, token);
  }

  public ModelResolver withCacheDir(Path v) {
    return new ModelResolver(v, hubEndpoint, offline, token);
  }

  /** Resolves {@code spec} (see class comment), pinning {@code revision} for hub ids (null = main). */
  public ModelFolder resolve(String spec, String revision) {
    return resolve(spec, revision, (dir, id) -> ModelFolder.read(dir, id, cacheDir), List.of());
  }

  /**
   * As {@link #resolve(String, String)}, running another ONNX file of the model ({@code
   * model_qint8_avx512_vnni.onnx}, or a path such as {@code onnx/model_O3.onnx}); a hub model's
   * snapshot gains that file from the repository if it has it.
   */
  public ModelFolder resolve(String spec, String revision, String onnxFile) {
    String inRepo = onnxFile.contains("/") ? onnxFile : "onnx/" + onnxFile;
    return resolve(spec, revision, (dir, id) -> ModelFolder.read(dir, id, cacheDir), List.of(inRepo)).withOnnxFile(onnxFile);
  }

  /** As {@link #resolve(String, String)}, accepting folders with PyTorch weights only (for fine-tuning, export). */
  public ModelFolder resolveForTraining(String spec, String revision) {
    return resolve(spec, revision, ModelFolder::readForTraining, List.of());
  }

  /** Where {@code spec} lives on disk (a hub model is downloaded first), whatever kind of model it holds. */
  public Path locate(String spec, String revision) {
    return resolve(spec, revision, (dir, id) -> dir, List.of());
  }

  /** A cross-encoder (reranker): a folder or a hub id, {@code @revision} or {@code revision} pinned. */
  public CrossEncoderFolder resolveCrossEncoder(String spec, String revision) {
    if (spec == null || spec.isBlank()) {
      throw new QuarryException("No cross-encoder given: pass a folder or a hub id (org/name).");
    }
    return resolve(spec, revision, (dir, id) -> CrossEncoderFolder.read(dir, id, cacheDir), List.of());
  }

  /**
   * Where {@code spec} lives on disk (a hub model is downloaded into the cache first), without
   * reading it as a model: for describing folders of any kind ({@link ModelInfo}).
   */
  public ModelInfo describe(String spec, String revision) {
    return resolve(spec, revision, (dir, id) -> ModelInfo.of(dir, id, cacheDir, source(spec, dir)), List.of());
  }

  private String source(String spec, Path dir) {
    if (spec == null || spec.isBlank()) {
      spec = BuiltinModels.defaultId();
    }
    if (Files.isDirectory(Path.of(spec))) {
      return "local folder " + dir.toAbsolutePath().normalize();
    }
    String builtin = BuiltinModels.find(spec);
    if (builtin != null) {
      return "built-in (" + BuiltinModels.carrier(builtin) + ", laid out in " + dir + ")";
    }
    return "hub " + hubEndpoint + " snapshot in " + dir;
  }

  private <T> T resolve(String spec, String revision, BiFunction<Path, String, T> reader, List<String> extraFiles) {
    if (spec == null || spec.isBlank()) {
      spec = BuiltinModels.defaultId();
    }
    Path local = Path.of(spec);
    if (Files.isDirectory(local)) {
      return reader.apply(local, local.toAbsolutePath().normalize().getFileName().toString());
    }
    String builtin = BuiltinModels.find(spec);
    if (builtin != null && revision == null) {
      return reader.apply(BuiltinModels.materialize(builtin, cacheDir), builtin);
    }
    String repo = spec;
    String rev = revision;
    int at = spec.indexOf('@');
    if (at > 0) {
      repo = spec.substring(0, at);
      rev = spec.substring(at + 1);
    }
    if (HubClient.isRepoId(repo)) {
      HubClient hub = new HubClient(hubEndpoint, cacheDir, offline, token, line -> LOG.log(System.Logger.Level.INFO, line),
          new HubClient.Settings(HubClient.Settings.defaults().readTimeout(), "1".equals(System.getenv("QUARRY_HUB_ALLOW_HTTP_TOKEN"))));
      return reader.apply(hub.snapshot(repo, rev == null ? "main" : rev, extraFiles), repo);
    }
    throw new QuarryException("Cannot find model '" + spec + "': it is not a folder, not a built-in model "
        + BuiltinModels.ids() + ", and not a hub id (org/name).");
  }

  public ModelFolder resolve(String spec) {
    return resolve(spec, null);
  }

  private static String firstNonNull(String... values) {
    for (String v : values) {
      if (v != null && !v.isBlank()) {
        return v;
      }
    }
    return null;
  }
}
