package dev.quarry.langchain4j;

import dev.langchain4j.data.embedding.Embedding;
import dev.langchain4j.model.embedding.EmbeddingModel;
import dev.langchain4j.model.embedding.request.EmbeddingInput;
import dev.langchain4j.model.embedding.request.EmbeddingInputType;
import dev.langchain4j.model.embedding.request.EmbeddingParameter;
import dev.langchain4j.model.embedding.request.EmbeddingRequest;
import dev.langchain4j.model.embedding.request.EmbeddingRequestParameters;
import dev.langchain4j.model.embedding.response.EmbeddingResponse;
import dev.langchain4j.model.embedding.response.EmbeddingResponseMetadata;
import dev.langchain4j.model.output.TokenUsage;
import dev.quarry.QuarryException;
import dev.quarry.encode.Embeddings;
import dev.quarry.encode.EncodeOptions;
import dev.quarry.encode.SentenceTransformer;
import dev.quarry.model.Routes;
import dev.quarry.modules.Normalize;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;

/**
 * A sentence-transformers model as LangChain4j's {@link EmbeddingModel}: built-in ids, local
 * folders of any sentence-transformers version, and hub ids, exactly as {@code quarry encode} runs
 * them (same vectors).
 *
 * <p>Asymmetric models (bge, e5) embed queries and documents differently. LangChain4j says which
 * through the request's {@link EmbeddingInputType}: set {@code embeddingInputType(QUERY)} on the
 * {@code EmbeddingStoreContentRetriever} and {@code DOCUMENT} on the {@code EmbeddingStoreIngestor},
 * and the model's query or document prompt (and Router route) applies, as sentence-transformers'
 * {@code encode_query}/{@code encode_document} do. Without one, the model's default prompt applies,
 * as in {@code encode}. A request's {@code dimensions} keeps the first components and re-normalises
 * (Matryoshka truncation).
 *
 * <p>Thread-safe. The caller that loaded the {@link SentenceTransformer} closes it; {@link
 * #load(String)} hands ownership to this object's {@link #close()}.
 */
public final class QuarryEmbeddingModel implements EmbeddingModel, AutoCloseable {
  private final SentenceTransformer model;
  private final boolean owned;

  private QuarryEmbeddingModel(SentenceTransformer model, boolean owned) {
    this.model = model;
    this.owned = owned;
  }

  /** Wraps a loaded model; the caller keeps ownership. */
  public static QuarryEmbeddingModel of(SentenceTransformer model) {
    return new QuarryEmbeddingModel(model, false);
  }

  /** Loads a built-in id, a folder or a hub id; {@link #close()} closes it. */
  public static QuarryEmbeddingModel load(String model) {
    return new QuarryEmbeddingModel(SentenceTransformer.load(model), true);
  }

  public SentenceTransformer sentenceTransformer() {
    return model;
  }

  @Override
  public EmbeddingResponse doEmbed(EmbeddingRequest request) {
    List<String> texts = new ArrayList<>(request.inputs().size());
    for (int i = 0; i < request.inputs().size(); i++) {
      EmbeddingInput input = request.inputs().get(i);
      String text = input.text();
      if (text == null) {
        throw new QuarryException("input " + i + " is not text (" + input.contentTypes() + "): " + model.folder().modelId()
            + " embeds text only");
      }
      texts.add(text);
    }
    int dims = request.dimensions() == null ? model.dimension() : request.dimensions();
    if (dims < 1 || dims > model.dimension()) {
      throw new QuarryException("dimensions must be between 1 and " + model.dimension() + " for " + model.folder().modelId()
          + ", got " + dims);
    }
    Embeddings out = encode(texts, request.inputType());
    List<Embedding> embeddings = new ArrayList<>(texts.size());
    for (float[] v : out.floats()) {
      float[] kept = v;
      if (dims < v.length) {
        kept = Arrays.copyOf(v, dims);
        Normalize.l2NormalizeInPlace(kept);
      }
      embeddings.add(Embedding.from(kept));
    }
    int tokens = Arrays.stream(out.tokenCounts()).sum();
    return EmbeddingResponse.builder().embeddings(embeddings)
        .metadata(EmbeddingResponseMetadata.builder().modelName(modelName()).tokenUsage(new TokenUsage(tokens, 0)).build()).build();
  }

  private Embeddings encode(List<String> texts, EmbeddingInputType type) {
    if (type == EmbeddingInputType.QUERY) {
      return model.encode(Routes.QUERY, texts, withPrompt(model.queryPromptName()));
    }
    if (type == EmbeddingInputType.DOCUMENT) {
      return model.encode(Routes.DOCUMENT, texts, withPrompt(model.documentPromptName()));
    }
    return model.encode(null, texts, EncodeOptions.defaults());
  }

  private static EncodeOptions withPrompt(String promptName) {
    return promptName == null ? EncodeOptions.defaults() : EncodeOptions.defaults().withPromptName(promptName);
  }

  @Override
  public Set<EmbeddingParameter<?>> supportedParameters() {
    return Set.of(EmbeddingRequestParameters.INPUT_TYPE, EmbeddingRequestParameters.DIMENSIONS,
        EmbeddingRequestParameters.MODEL_NAME);
  }

  /** The model's output dimension, known without embedding anything. */
  @Override
  public int dimension() {
    return model.dimension();
  }

  @Override
  public String modelName() {
    return model.folder().modelId();
  }

  @Override
  public void close() {
    if (owned) {
      model.close();
    }
  }
}
