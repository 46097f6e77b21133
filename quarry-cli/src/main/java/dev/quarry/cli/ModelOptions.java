package dev.quarry.cli;

import dev.quarry.encode.RuntimeOptions;
import dev.quarry.encode.SentenceTransformer;
import dev.quarry.model.BuiltinModels;
import dev.quarry.model.CrossEncoderFolder;
import dev.quarry.model.ModelFolder;
import dev.quarry.model.ModelInfo;
import dev.quarry.model.ModelResolver;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** Which model to load and how: shared by every command that encodes. */
public final class ModelOptions {
  @Option(names = {"-m", "--model"}, paramLabel = "MODEL",
      description = "A model folder, a built-in model (see `quarry models`) or a hub id org/name[@revision]."
          + " Default: ${DEFAULT-VALUE}.")
  String model = BuiltinModels.defaultId();

  @Option(names = "--revision", description = "Hub revision (branch, tag or commit) to pin.")
  String revision;

  @Option(names = "--offline", description = "Never touch the network; load hub models from the cache only.")
  boolean offline;

  @Option(names = "--hub-url", description = "Hub base URL (default: $QUARRY_HUB_URL, $HF_ENDPOINT or https://huggingface.co).")
  String hubUrl;

  @Option(names = "--threads", description = "CPU threads for inference (default: all cores).")
  Integer threads;

  @Option(names = "--max-batch-tokens", paramLabel = "N",
      description = "Most padded tokens per inference batch: long texts go in smaller batches, which stay in the CPU caches"
          + " (default: ${DEFAULT-VALUE}; 0 = batches of --batch-size whatever the length).")
  int maxBatchTokens = RuntimeOptions.DEFAULT_MAX_BATCH_TOKENS;

  @Option(names = "--onnx-file", paramLabel = "NAME",
      description = "Run another ONNX file of the model folder, e.g. model_qint8_avx512_vnni.onnx (see `quarry quantize`, `quarry models`).")
  String onnxFile;

  ModelFolder resolve() {
    return onnxFile == null ? resolver().resolve(model, revision) : resolver().resolve(model, revision, onnxFile);
  }

  /** The folder even when it holds PyTorch weights only (training, ONNX export). */
  ModelFolder resolveForTraining() {
    return resolver().resolveForTraining(model, revision);
  }

  /** Where the model lives on disk, whatever kind it is. */
  Path locate() {
    return resolver().locate(model, revision);
  }

  /** The model as a cross-encoder (for quantize), with --onnx-file applied. */
  CrossEncoderFolder resolveCrossEncoder() {
    CrossEncoderFolder ce = resolver().resolveCrossEncoder(model, revision);
    return onnxFile == null ? ce : ce.withOnnxFile(onnxFile);
  }

  /** The folder described, whatever kind of model it holds (see {@link ModelInfo}). */
  ModelInfo describe() {
    return resolver().describe(model, revision);
  }

  private ModelResolver resolver() {
    ModelResolver r = ModelResolver.defaults();
    if (offline) {
      r = r.withOffline(true);
    }
    if (hubUrl != null) {
      r = r.withHubEndpoint(hubUrl);
    }
    return r;
  }

  SentenceTransformer load() {
    RuntimeOptions runtime = RuntimeOptions.defaults();
    if (threads != null) {
      runtime = runtime.withThreads(threads);
    }
    runtime = runtime.withMaxBatchTokens(maxBatchTokens);
    return SentenceTransformer.load(resolve(), runtime);
  }
}
