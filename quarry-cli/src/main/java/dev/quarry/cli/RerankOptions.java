package dev.quarry.cli;

import dev.quarry.encode.RuntimeOptions;
import dev.quarry.model.ModelResolver;
import dev.quarry.rerank.CrossEncoder;
import dev.quarry.search.Reranker;
import picocli.CommandLine.Option;

/** The rerank stage's options, shared by search and eval. */
final class RerankOptions {
  @Option(names = "--rerank", paramLabel = "MODEL",
      description = "Rerank the first stage's top candidates with this cross-encoder (a folder or hub id).")
  String model;

  @Option(names = "--rerank-depth", paramLabel = "N", description = "Candidates the cross-encoder re-scores (default: ${DEFAULT-VALUE}).")
  int depth = Reranker.DEFAULT_DEPTH;

  /** The reranker, or null without --rerank; the caller closes its cross-encoder. */
  Reranker open() {
    if (model == null) {
      return null;
    }
    return new Reranker(CrossEncoder.load(ModelResolver.defaults().resolveCrossEncoder(model, null), RuntimeOptions.defaults()), depth);
  }
}
