package dev.quarry.encode;

import dev.quarry.QuarryException;
import dev.quarry.QuarryFailure;
import dev.quarry.inference.OnnxTransformer;
import dev.quarry.model.ModelFolder;
import dev.quarry.model.ModelResolver;
import dev.quarry.model.Routes;
import dev.quarry.modules.Normalize;
import dev.quarry.modules.Pooling;
import dev.quarry.modules.SentenceModule;
import dev.quarry.similarity.SimilarityFunction;
import dev.quarry.tokenize.TextTokenizer;
import dev.quarry.tokenize.Tokenization;
import dev.quarry.tokenize.TokenizedText;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;

/**
 * A sentence-transformers bi-encoder on the JVM: tokenizer → ONNX transformer → pooling → Dense /
 * Normalize modules, with {@code encode} behaving as the Python {@code SentenceTransformer.encode}.
 *
 * <p>Thread-safe: any number of threads may call {@code encode} at once.
 */
public final class SentenceTransformer implements AutoCloseable {
  private final ModelFolder folder;
  private final OnnxTransformer transformer;
  private final Pooling pooling;
  private final RuntimeOptions runtime;
  /** One tokenizer per truncation length asked for; the model's own is created eagerly. */
  private final Map<Integer, TextTokenizer> tokenizers = new ConcurrentHashMap<>();
  private final ExecutorService workers;
  /** A Router model's routes, each a model of its own; null for a plain model. */
  private final Map<String, SentenceTransformer> routeModels;

  private SentenceTransformer(ModelFolder folder, RuntimeOptions runtime) {
    this.folder = folder;
    this.runtime = runtime;
    if (folder.routes() != null) {
      Map<String, SentenceTransformer> byRoute = new LinkedHashMap<>();
      try {
        folder.routes().byName().forEach((name, route) -> byRoute.put(name, new SentenceTransformer(route, runtime)));
      } catch (RuntimeException e) {
        byRoute.values().forEach(SentenceTransformer::close);
        throw e;
      }
      this.routeModels = Collections.unmodifiableMap(byRoute);
      this.transformer = null;
      this.pooling = null;
      this.workers = null;
      return;
    }
    this.routeModels = null;
    this.transformer = new OnnxTransformer(folder.onnxFile(), runtime.concurrentBatches() ? 1 : runtime.threads());
    if (transformer.hiddenSize() > 0 && transformer.hiddenSize() != folder.pooling().wordEmbeddingDimension()) {
      transformer.close();
      throw new QuarryException("The ONNX graph " + folder.onnxFile() + " outputs " + transformer.hiddenSize()
          + "-d token embeddings but the pooling config says word_embedding_dimension "
          + folder.pooling().wordEmbeddingDimension() + ". The folder mixes files of different models.");
    }
    this.pooling = new Pooling(folder.pooling());
    tokenizers.put(folder.maxSeqLength(), new TextTokenizer(folder.tokenizerFile(), folder.maxSeqLength(), folder.doLowerCase()));
    this.workers = runtime.concurrentBatches() && runtime.threads() > 1
        ? Executors.newFixedThreadPool(runtime.threads(), r -> {
            Thread t = new Thread(r, "quarry-encode");
            t.setDaemon(true);
            return t;
          })
        : null;
  }

  /** Loads a model folder, built-in id or hub id with default runtime options. */
  public static SentenceTransformer load(String model) {
    return load(ModelResolver.defaults().resolve(model), RuntimeOptions.defaults());
  }

  public static SentenceTransformer load(ModelFolder folder, RuntimeOptions runtime) {
    return new SentenceTransformer(folder, runtime);
  }

  public ModelFolder folder() {
    return folder;
  }

  /** The embedding dimension of this model's output (before any truncate_dim). */
  public int dimension() {
    return folder.dimension();
  }

  public int maxSeqLength() {
    return folder.maxSeqLength();
  }

  public SimilarityFunction similarityFunction() {
    return folder.similarity();
  }

  /** Encodes one text with default options. */
  public float[] encode(String text) {
    return encode(List.of(text), EncodeOptions.defaults()).floats()[0];
  }

  /** Encodes texts with default options. */
  public float[][] encode(List<String> texts) {
    return encode(texts, EncodeOptions.defaults()).floats();
  }

  /**
   * sentence-transformers' {@code encode_query}: the model's query prompt, unless options name one,
   * and a Router model's {@code query} route.
   */
  public float[][] encodeQueries(List<String> queries, EncodeOptions options) {
    return encode(Routes.QUERY, queries, withDefaultPrompt(options, queryPromptName())).floats();
  }

  /**
   * sentence-transformers' {@code encode_document}: the model's document prompt, unless options
   * name one, and a Router model's {@code document} route.
   */
  public float[][] encodeDocuments(List<String> documents, EncodeOptions options) {
    return encode(Routes.DOCUMENT, documents, withDefaultPrompt(options, documentPromptName())).floats();
  }

  /**
   * sentence-transformers' {@code encode(..., task=task)}: {@code task} picks a Router model's
   * route ({@link Routes#resolve}); a model without a Router ignores it. A null task takes the
   * default route.
   */
  public Embeddings encode(String task, List<String> texts, EncodeOptions options) {
    if (routeModels == null) {
      return encode(texts, options);
    }
    return routeModels.get(folder.routes().resolve(task)).encode(texts, options);
  }

  /**
   * The texts tokenised as {@link #encode(String, List, EncodeOptions)} would encode them (the
   * prompt the options resolve to prepended, the route's tokenizer, truncated at the maximum
   * length), with each token's string, offsets and special flag: what TEI's {@code /tokenize}
   * shows, and how a server tells that a text would be truncated.
   */
  public List<Tokenization> tokenize(String task, List<String> texts, EncodeOptions options) {
    if (routeModels != null) {
      return routeModels.get(folder.routes().resolve(task)).tokenize(null, texts, options);
    }
    String prompt = resolvePrompt(options);
    TextTokenizer tokenizer = tokenizerFor(options.maxLength() == 0 ? folder.maxSeqLength() : options.maxLength());
    return tokenizer.inspect(prompt.isEmpty() ? texts : texts.stream().map(t -> prompt + t).toList());
  }

  /** A Router model's route names; empty for a plain model. */
  public List<String> routes() {
    return routeModels == null ? List.of() : List.copyOf(routeModels.keySet());
  }

  /** The prompt name for queries ("query"), or null when the model defines none. */
  public String queryPromptName() {
    return folder.prompts().containsKey("query") ? "query" : null;
  }

  /** The prompt name for documents ("document", else "passage"), or null when the model defines none. */
  public String documentPromptName() {
    for (String role : List.of("document", "passage")) {
      if (folder.prompts().containsKey(role)) {
        return role;
      }
    }
    return null;
  }

  private static EncodeOptions withDefaultPrompt(EncodeOptions options, String promptName) {
    if (options.prompt() != null || options.promptName() != null || promptName == null) {
      return options;
    }
    return options.withPromptName(promptName);
  }

  /**
   * Encodes texts: length-sorted batches, each padded only to its longest text, results returned
   * in input order. The same text gives the same vector alone or in any batch.
   */
  public Embeddings encode(List<String> texts, EncodeOptions options) {
    if (routeModels != null) {
      return encode(null, texts, options);
    }
    for (int i = 0; i < texts.size(); i++) {
      if (texts.get(i) == null) {
        throw new QuarryException("Text at index " + i + " is null; pass an empty string for an empty text.");
      }
    }
    String prompt = resolvePrompt(options);
    TextTokenizer tokenizer = tokenizerFor(options.maxLength() == 0 ? folder.maxSeqLength() : options.maxLength());
    List<String> inputs = prompt.isEmpty() ? texts : texts.stream().map(t -> prompt + t).toList();
    int promptLength = prompt.isEmpty() || folder.pooling().includePrompt() ? 0 : tokenizer.promptLength(prompt);
    TokenizedText[] tokens = tokenizer.encodeAll(inputs);
    checkVocabulary(tokens);

    float[][] out = new float[texts.size()][];
    runBatches(tokens, options, promptLength, out);
    int[] counts = new int[tokens.length];
    for (int i = 0; i < counts.length; i++) {
      counts[i] = tokens[i].length();
    }
    return finish(out, options, counts);
  }

  private void runBatches(TokenizedText[] tokens, EncodeOptions options, int promptLength, float[][] out) {
    // Longest first, as sentence-transformers sorts: similar lengths share a batch, so padding is small.
    Integer[] order = IntStream.range(0, tokens.length).boxed().toArray(Integer[]::new);
    Arrays.sort(order, Comparator.comparingInt((Integer i) -> -tokens[i].length()).thenComparingInt(i -> i));
    // A batch's first text is its longest: the token cap sizes each batch from it.
    List<int[]> batches = new ArrayList<>();
    for (int start = 0, end; start < order.length; start = end) {
      end = Math.min(order.length, start + runtime.batchSizeFor(options.batchSize(), tokens[order[start]].length()));
      int[] batch = new int[end - start];
      for (int j = start; j < end; j++) {
        batch[j - start] = order[j];
      }
      batches.add(batch);
    }
    AtomicInteger done = new AtomicInteger();
    Runnable[] tasks = new Runnable[batches.size()];
    for (int b = 0; b < tasks.length; b++) {
      int[] batch = batches.get(b);
      tasks[b] = () -> {
        float[][] vectors = encodeBatch(tokens, batch, promptLength);
        for (int j = 0; j < batch.length; j++) {
          out[batch[j]] = vectors[j];
        }
        options.progress().onProgress(done.addAndGet(batch.length), tokens.length);
      };
    }
    if (workers == null || tasks.length == 1) {
      for (Runnable t : tasks) {
        t.run();
      }
      return;
    }
    List<Future<?>> futures = new ArrayList<>();
    for (Runnable t : tasks) {
      futures.add(workers.submit(t));
    }
    for (Future<?> f : futures) {
      try {
        f.get();
      } catch (InterruptedException e) {
        futures.forEach(x -> x.cancel(true));
        Thread.currentThread().interrupt();
        throw new QuarryException("Encoding interrupted", e);
      } catch (ExecutionException e) {
        futures.forEach(x -> x.cancel(true));
        if (e.getCause() instanceof RuntimeException re) {
          throw re;
        }
        throw new QuarryFailure("Encoding failed: " + e.getCause(), e.getCause());
      }
    }
  }

  /** Pads one batch to its longest text, runs the transformer and pools. */
  private float[][] encodeBatch(TokenizedText[] tokens, int[] batch, int promptLength) {
    int seq = 0;
    for (int i : batch) {
      seq = Math.max(seq, tokens[i].length());
    }
    int n = batch.length;
    long[] ids = new long[n * seq];
    long[] mask = new long[n * seq];
    long[] types = new long[n * seq];
    for (int j = 0; j < n; j++) {
      TokenizedText t = tokens[batch[j]];
      System.arraycopy(t.ids(), 0, ids, j * seq, t.length());
      System.arraycopy(t.typeIds(), 0, types, j * seq, t.length());
      Arrays.fill(mask, j * seq, j * seq + t.length(), 1L);
    }
    int[] promptLengths = new int[n];
    Arrays.fill(promptLengths, promptLength);
    final int seqLen = seq;
    float[][] pooled = transformer.run(ids, mask, types, n, seq,
        (hidden, dim) -> pooling.pool(hidden, mask, n, seqLen, dim, promptLengths));
    for (int j = 0; j < n; j++) {
      for (SentenceModule m : folder.sentenceModules()) {
        pooled[j] = m.apply(pooled[j]);
      }
    }
    return pooled;
  }

  private Embeddings finish(float[][] vectors, EncodeOptions options, int[] tokenCounts) {
    int dim = folder.dimension();
    if (options.truncateDim() > 0 && options.truncateDim() < dim) {
      dim = options.truncateDim();
      for (int i = 0; i < vectors.length; i++) {
        vectors[i] = Arrays.copyOf(vectors[i], dim);
      }
    }
    if (options.normalize()) {
      for (float[] v : vectors) {
        Normalize.l2NormalizeInPlace(v);
      }
    }
    if (options.precision() == Precision.FLOAT32) {
      return new Embeddings(Precision.FLOAT32, vectors, null, dim, tokenCounts);
    }
    byte[][] q = Quantization.quantize(vectors, options.precision(), null);
    return new Embeddings(options.precision(), null, q, dim, tokenCounts);
  }

  /**
   * The prompt {@link #encode(String, List, EncodeOptions)} prepends for {@code task} and these
   * options ("" for none): the literal prompt, else the named one, else the model's default.
   */
  public String promptFor(String task, EncodeOptions options) {
    if (routeModels != null) {
      return routeModels.get(folder.routes().resolve(task)).promptFor(null, options);
    }
    return resolvePrompt(options);
  }

  /** The prompt {@link #encodeDocuments} prepends ("" for none). */
  public String documentPrompt() {
    return promptFor(Routes.DOCUMENT, withDefaultPrompt(EncodeOptions.defaults(), documentPromptName()));
  }

  /**
   * The tokenizer documents go through (the document route's, for a Router model), at the model's
   * max_seq_length: what a chunker measures chunks with.
   */
  public TextTokenizer documentTokenizer() {
    if (routeModels != null) {
      return routeModels.get(folder.routes().resolve(Routes.DOCUMENT)).documentTokenizer();
    }
    return tokenizerFor(folder.maxSeqLength());
  }

  /** The route a task takes, or null for a model without a Router. */
  public String routeFor(String task) {
    return routeModels == null ? null : folder.routes().resolve(task);
  }

  private String resolvePrompt(EncodeOptions options) {
    if (options.prompt() != null) {
      return options.prompt();
    }
    String name = options.promptName() != null ? options.promptName() : folder.defaultPromptName();
    if (name == null) {
      return "";
    }
    String p = folder.prompts().get(name);
    if (p == null) {
      throw new QuarryException("Prompt name '" + name + "' is not defined by " + folder.modelId()
          + "; its prompts are " + folder.prompts().keySet()
          + " (config_sentence_transformers.json). Pass a literal prompt instead.");
    }
    return p;
  }

  private TextTokenizer tokenizerFor(int maxLength) {
    return tokenizers.computeIfAbsent(maxLength,
        n -> new TextTokenizer(folder.tokenizerFile(), n, folder.doLowerCase()));
  }

  private void checkVocabulary(TokenizedText[] tokens) {
    int vocab = folder.vocabSize();
    if (vocab <= 0) {
      return;
    }
    for (int i = 0; i < tokens.length; i++) {
      for (long id : tokens[i].ids()) {
        if (id < 0 || id >= vocab) {
          throw new QuarryException("Text at index " + i + " has token id " + id + ", outside the embedding table"
              + " of " + vocab + " rows (vocab_size in config.json). " + folder.tokenizerFile()
              + " does not belong to this model's weights.");
        }
      }
    }
  }

  @Override
  public void close() {
    if (routeModels != null) {
      routeModels.values().forEach(SentenceTransformer::close);
      return;
    }
    if (workers != null) {
      workers.shutdownNow();
    }
    tokenizers.values().forEach(TextTokenizer::close);
    transformer.close();
  }
}
