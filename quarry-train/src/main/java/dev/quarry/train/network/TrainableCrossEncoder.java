package dev.quarry.train.network;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.nn.core.Linear;
import dev.quarry.QuarryException;
import dev.quarry.inference.BertConfig;
import dev.quarry.inference.BertWeights;
import dev.quarry.io.Tensor;
import dev.quarry.model.CrossEncoderFolder;
import dev.quarry.model.ModelFolder;
import dev.quarry.rerank.TextPair;
import dev.quarry.tokenize.TextTokenizer;
import dev.quarry.tokenize.TokenizedText;
import dev.quarry.train.bert.BertEncoder;
import dev.quarry.train.bert.NativeArrays;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * transformers' {@code BertForSequenceClassification} as a trainable network: the BERT encoder, the
 * pooler (first token, dense, tanh), dropout, and the {@code classifier} linear layer, giving one
 * logit per label for each (query, passage) pair. This is what sentence-transformers' {@code
 * CrossEncoder} trains and what {@link dev.quarry.rerank.CrossEncoder} runs from the exported graph.
 */
public final class TrainableCrossEncoder implements AutoCloseable {
  /** The head's tensors, by the names transformers saves them under (after the {@code bert.} prefix for the pooler). */
  public static final List<String> HEAD = List.of("pooler.dense.weight", "pooler.dense.bias", "classifier.weight", "classifier.bias");

  private final String modelId;
  private final BertConfig config;
  private final BertEncoder encoder;
  private final TextTokenizer tokenizer;
  private final Path tokenizerFile;
  private final boolean lowerCase;
  private final int numLabels;

  private TrainableCrossEncoder(String modelId, BertConfig config, BertWeights weights, Path tokenizerFile, int maxLength,
      boolean lowerCase, int numLabels, NDManager parent) {
    this.modelId = modelId;
    this.config = config;
    this.encoder = new BertEncoder(config, weights, parent, HEAD);
    this.tokenizerFile = tokenizerFile;
    this.lowerCase = lowerCase;
    this.tokenizer = new TextTokenizer(tokenizerFile, maxLength, lowerCase);
    this.numLabels = numLabels;
  }

  /**
   * A new cross-encoder on a bi-encoder's BERT ({@code CrossEncoder("sentence-transformers/...",
   * num_labels=1)}): the encoder's weights, its pooler where the checkpoint has one (else the
   * identity, zero bias), and a new classifier drawn as transformers initialises it (normal,
   * standard deviation 0.02, zero bias) from {@code seed}.
   *
   * @param maxLength tokens per pair; 0 or less: the folder's maximum sequence length
   */
  public static TrainableCrossEncoder fromEncoder(ModelFolder folder, int numLabels, int maxLength, long seed, NDManager parent) {
    if (numLabels < 1) {
      throw new QuarryException("A cross-encoder needs at least one label, got " + numLabels + ".");
    }
    Path configFile = folder.transformerDir().resolve("config.json");
    if (!Files.isRegularFile(configFile)) {
      throw new QuarryException("Missing file " + configFile + ": training needs the transformer's config.json.");
    }
    BertConfig config = BertConfig.read(configFile);
    Path st = folder.transformerDir().resolve("model.safetensors");
    BertWeights encoderWeights;
    if (Files.isRegularFile(st)) {
      encoderWeights = BertWeights.fromSafetensors(st, config);
    } else if (folder.onnxFile() != null) {
      encoderWeights = BertWeights.fromOnnx(folder.onnxFile(), config);
    } else {
      throw new QuarryException("No weights in " + folder.transformerDir() + ": expected model.safetensors or onnx/model.onnx.");
    }
    Map<String, Tensor> all = new LinkedHashMap<>(encoderWeights.tensors());
    Random rnd = new Random(seed);
    int h = config.hiddenSize();
    if (!all.containsKey("pooler.dense.weight") || !all.containsKey("pooler.dense.bias")) {
      // transformers would load the checkpoint's trained pooler here; an ONNX export carries none. A
      // pooler drawn at 0.02 would scale every gradient into the encoder by ~0.02 more, and BCE on
      // SciFact then sat at the uninformed loss for 300 steps. The identity passes tanh(first token)
      // to the classifier, so only the classifier starts from nothing, as on a checkpoint with a pooler.
      all.put("pooler.dense.weight", identity(h));
      all.put("pooler.dense.bias", new Tensor(new long[] {h}, new float[h]));
    }
    all.put("classifier.weight", normal(rnd, numLabels, h));
    all.put("classifier.bias", new Tensor(new long[] {numLabels}, new float[numLabels]));
    int length = maxLength > 0 ? maxLength : folder.maxSeqLength();
    return new TrainableCrossEncoder(folder.modelId(), config, new BertWeights(all), folder.tokenizerFile(), length,
        folder.doLowerCase(), numLabels, parent);
  }

  /** An existing cross-encoder, to train further: its {@code model.safetensors} with the pooler and classifier. */
  public static TrainableCrossEncoder fromCrossEncoder(CrossEncoderFolder folder, int maxLength, NDManager parent) {
    Path st = folder.transformerDir().resolve("model.safetensors");
    if (!Files.isRegularFile(st)) {
      throw new QuarryException("No model.safetensors in " + folder.transformerDir() + ": training a cross-encoder further needs"
          + " its PyTorch weights (an ONNX graph alone cannot be trained).");
    }
    BertConfig config = BertConfig.read(folder.transformerDir().resolve("config.json"));
    BertWeights weights = BertWeights.fromSafetensorsWithClassifier(st, config, folder.numLabels());
    int length = maxLength > 0 ? maxLength : folder.maxLength();
    return new TrainableCrossEncoder(folder.modelId(), config, weights, folder.tokenizerFile(), length, folder.doLowerCase(),
        folder.numLabels(), parent);
  }

  /** As {@link #fromEncoder}, with {@code weights} (encoder and head) as given: tests and resumption. */
  public static TrainableCrossEncoder of(String modelId, BertConfig config, BertWeights weights, Path tokenizerFile, int maxLength,
      boolean lowerCase, int numLabels, NDManager parent) {
    weights.validate(config, "the given weights");
    return new TrainableCrossEncoder(modelId, config, weights, tokenizerFile, maxLength, lowerCase, numLabels, parent);
  }

  private static Tensor identity(int n) {
    float[] v = new float[n * n];
    for (int i = 0; i < n; i++) {
      v[i * n + i] = 1f;
    }
    return new Tensor(new long[] {n, n}, v);
  }

  private static Tensor normal(Random rnd, int rows, int cols) {
    float[] v = new float[rows * cols];
    for (int i = 0; i < v.length; i++) {
      v[i] = (float) (rnd.nextGaussian() * 0.02);
    }
    return new Tensor(new long[] {rows, cols}, v);
  }

  public String modelId() {
    return modelId;
  }

  public BertConfig config() {
    return config;
  }

  public BertEncoder encoder() {
    return encoder;
  }

  public int numLabels() {
    return numLabels;
  }

  public int maxLength() {
    return tokenizer.maxLength();
  }

  public Path tokenizerFile() {
    return tokenizerFile;
  }

  public boolean lowerCase() {
    return lowerCase;
  }

  /**
   * Logits [pairs, labels] in {@code out}, differentiable (dropout when training). Pairs are laid
   * out by the tokenizer's pair template and cut "longest first", as at inference.
   */
  public NDArray logits(NDManager out, List<TextPair> pairs, boolean training) {
    TokenizedText[] tokens = tokenizer.encodePairs(pairs.stream().map(TextPair::first).toList(),
        pairs.stream().map(TextPair::second).toList());
    try (NDManager sm = out.newSubManager()) {
      NDArray[] inputs = NativeArrays.bertInputs(sm, tokens);
      NDArray hidden = encoder.forward(sm, inputs[0], inputs[1], inputs[2], training);
      // BertPooler on the first token, then BertForSequenceClassification's dropout and classifier.
      NDArray first = hidden.get(new NDIndex(":, 0, :"));
      NDArray pooled = Linear.linear(first, encoder.parameter("pooler.dense.weight"), encoder.parameter("pooler.dense.bias"))
          .singletonOrThrow().tanh();
      pooled = BertEncoder.dropout(pooled, config.hiddenDropoutProb(), training);
      NDArray logits = Linear.linear(pooled, encoder.parameter("classifier.weight"), encoder.parameter("classifier.bias"))
          .singletonOrThrow();
      logits.attach(out);
      return logits;
    }
  }

  /**
   * Raw logits without autograd, [pairs][labels], in input order (length-sorted batches): what the
   * parity checks compare with the exported graph.
   */
  public float[][] predictLogits(List<TextPair> pairs, int batchSize) {
    return SortedBatches.run(pairs, p -> p.first().length() + p.second().length(), batchSize, (m, batch) -> logits(m, batch, false), null);
  }

  @Override
  public void close() {
    encoder.close();
    tokenizer.close();
  }
}
