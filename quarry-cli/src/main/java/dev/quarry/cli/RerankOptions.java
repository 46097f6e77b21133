package dev.quarry.cli;

import dev.quarry.encode.RuntimeOptions;
import dev.quarry.model.CrossEncoderFolder;
import dev.quarry.model.ModelResolver;
import dev.quarry.rerank.CrossEncoder;
import dev.quarry.search.Reranker;
import picocli.CommandLine.Option;

/** The rerank stage's options, shared by search, eval and serve. */
final class RerankOptions {
  @Option(names = "--rerank", paramLabel = "MODEL",
      description = "Rerank the first stage's top candidates with this cross-encoder (a folder or hub id).")
  String model;

  @Option(names = "--rerank-depth", paramLabel = "N", description = "Candidates the cross-encoder re-scores (default: ${DEFAULT-VALUE}).")
  int depth = Reranker.DEFAULT_DEPTH;

  @Option(names = "--rerank-fusion", paramLabel = "none|rrf",
      description = "none: order by the cross-encoder (default); rrf: reciprocal rank fusion of its order with the first stage's.")
  String fusion = Reranker.Fusion.NONE.id();

  @Option(names = "--rerank-onnx-file", paramLabel = "NAME",
      description = "Run another ONNX file of the cross-encoder, e.g. model_qint8_avx512_vnni.onnx (see `quarry quantize`).")
  String onnxFile;

  /** The reranker, or null without --rerank; the caller closes its cross-encoder. */
  Reranker open() {
    if (model == null) {
      return null;
    }
    Reranker.Fusion how = Reranker.Fusion.fromId(fusion); // before resolving and loading: a typo fails fast
    CrossEncoderFolder folder = ModelResolver.defaults().resolveCrossEncoder(model, null);
    return new Reranker(CrossEncoder.load(onnxFile == null ? folder : folder.withOnnxFile(onnxFile), RuntimeOptions.defaults()), depth)
        .withFusion(how);
  }
}
