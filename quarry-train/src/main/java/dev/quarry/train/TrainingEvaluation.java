package dev.quarry.train;

import dev.quarry.data.Corpus;
import dev.quarry.encode.EncodeOptions;
import dev.quarry.encode.RuntimeOptions;
import dev.quarry.encode.SentenceTransformer;
import dev.quarry.eval.InformationRetrievalEvaluator;
import dev.quarry.eval.IrResult;
import dev.quarry.model.ModelFolder;
import dev.quarry.search.EmbeddingCache;
import dev.quarry.similarity.SimilarityFunction;
import dev.quarry.train.export.SentenceTransformerWriter;
import dev.quarry.train.network.TrainableSentenceTransformer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.List;

/**
 * The InformationRetrievalEvaluator during training, run on the path that will serve the model:
 * the current weights are exported to ONNX and encoded by ONNX Runtime, with the model's own
 * prompts, exactly as {@code quarry eval} would score the saved folder. The untouched base model
 * (step 0) is evaluated from its own ONNX export, so its corpus embeddings come from the cache.
 */
public final class TrainingEvaluation {
  private final InformationRetrievalEvaluator evaluator;
  private final Corpus corpus;
  private final EmbeddingCache cache;

  /** @param cache corpus embeddings of unchanged models (the base), or null */
  public TrainingEvaluation(InformationRetrievalEvaluator evaluator, Corpus corpus, EmbeddingCache cache) {
    this.evaluator = evaluator;
    this.corpus = corpus;
    this.cache = cache;
  }

  /**
   * @param untouched true when the weights are still the source folder's (evaluate that folder)
   * @param scratch a folder for the exported model
   */
  public IrResult evaluate(TrainableSentenceTransformer model, boolean untouched, Path scratch, int batchSize,
      TrainingListener listener) {
    ModelFolder folder = model.folder();
    EmbeddingCache useCache = null;
    if (untouched && folder.onnxFile() != null) {
      useCache = cache;
    } else {
      try {
        SentenceTransformerWriter.write(scratch, folder, model.config(), model.encoder().snapshot(), null);
      } catch (IOException e) {
        throw new UncheckedIOException("Cannot export the model for evaluation to " + scratch, e);
      }
      folder = ModelFolder.read(scratch, folder.modelId() + " (training)");
    }
    int total = evaluator.queryIds().size() + corpus.size();
    EncodeOptions queries = EncodeOptions.defaults().withBatchSize(batchSize);
    EncodeOptions docs = EncodeOptions.defaults().withBatchSize(batchSize)
        .withProgress((done, n) -> listener.onEvaluationProgress(evaluator.queryIds().size() + done, total));
    try (SentenceTransformer st = SentenceTransformer.load(folder, RuntimeOptions.defaults())) {
      return evaluator.evaluate(st, corpus, new InformationRetrievalEvaluator.Settings(queries, docs,
          List.of(SimilarityFunction.COSINE, SimilarityFunction.DOT), useCache));
    }
  }
}
