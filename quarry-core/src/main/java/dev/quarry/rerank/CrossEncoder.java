package dev.quarry.rerank;

import dev.quarry.QuarryException;
import dev.quarry.encode.RuntimeOptions;
import dev.quarry.inference.OnnxClassifier;
import dev.quarry.model.CrossEncoderFolder;
import dev.quarry.model.ModelResolver;
import dev.quarry.tokenize.TextTokenizer;
import dev.quarry.tokenize.TokenizedText;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.stream.IntStream;

/**
 * A sentence-transformers cross-encoder on the JVM: text pairs → tokenizer's pair template → ONNX
 * sequence-classification graph → logits (float32) → the model's activation. {@code predict} and
 * {@code rank} behave as Python's {@code CrossEncoder.predict} and {@code rank}.
 *
 * <p>Pairs are length-sorted into batches, each padded to its own longest pair, and scores come
 * back in input order. Thread-safe: the ONNX session is shared, each call uses its own buffers.
 */
public final class CrossEncoder implements AutoCloseable {
  /** sentence-transformers' default {@code batch_size} for {@code predict}. */
  public static final int DEFAULT_BATCH_SIZE = 32;

  private final CrossEncoderFolder folder;
  private final OnnxClassifier classifier;
  private final TextTokenizer tokenizer;
  private final RuntimeOptions runtime;

  private CrossEncoder(CrossEncoderFolder folder, RuntimeOptions runtime) {
    this.folder = folder;
    this.runtime = runtime;
    this.classifier = new OnnxClassifier(folder.onnxFile(), runtime.threads());
    if (classifier.labels() > 0 && classifier.labels() != folder.numLabels()) {
      classifier.close();
      throw new QuarryException("The ONNX graph " + folder.onnxFile() + " gives " + classifier.labels() + " logits but "
          + folder.transformerDir().resolve("config.json") + " has " + folder.numLabels() + " labels.");
    }
    this.tokenizer = new TextTokenizer(folder.tokenizerFile(), folder.maxLength(), folder.doLowerCase());
  }

  /** Loads a cross-encoder folder, or a hub id through the model cache. */
  public static CrossEncoder load(String model) {
    return load(ModelResolver.defaults().resolveCrossEncoder(model, null), RuntimeOptions.defaults());
  }

  public static CrossEncoder load(CrossEncoderFolder folder, RuntimeOptions runtime) {
    return new CrossEncoder(folder, runtime);
  }

  public CrossEncoderFolder folder() {
    return folder;
  }

  /**
   * One score per pair: the single label's logit through the model's activation (Sigmoid unless
   * the model saved another). Refuses a model of several labels, whose scores are {@link #predictAll}.
   */
  public float[] predict(List<TextPair> pairs) {
    if (folder.numLabels() != 1) {
      throw new QuarryException(folder.modelId() + " has " + folder.numLabels() + " labels " + folder.labels()
          + ": one score per pair needs a model of one label. Use predictAll for every label's score.");
    }
    float[][] all = predictAll(pairs, DEFAULT_BATCH_SIZE);
    float[] out = new float[all.length];
    for (int i = 0; i < out.length; i++) {
      out[i] = all[i][0];
    }
    return out;
  }

  /** Every label's score per pair, [pairs, labels], after the activation. */
  public float[][] predictAll(List<TextPair> pairs, int batchSize) {
    float[][] out = logits(pairs, batchSize);
    for (float[] row : out) {
      for (int k = 0; k < row.length; k++) {
        row[k] = activate(row[k]);
      }
    }
    return out;
  }

  /**
   * Every label's raw logit per pair, [pairs, labels], float32 and before the activation: what
   * TEI's {@code /rerank} answers with {@code raw_scores}, and what a batcher shared by callers
   * that want either form computes once.
   */
  public float[][] logits(List<TextPair> pairs, int batchSize) {
    if (batchSize <= 0) {
      throw new QuarryException("batch size must be positive, got " + batchSize);
    }
    List<String> a = new ArrayList<>(pairs.size());
    List<String> b = new ArrayList<>(pairs.size());
    for (TextPair p : pairs) {
      a.add(p.first());
      b.add(p.second());
    }
    TokenizedText[] tokens = tokenizer.encodePairs(a, b);
    Integer[] order = IntStream.range(0, tokens.length).boxed().toArray(Integer[]::new);
    Arrays.sort(order, Comparator.comparingInt((Integer i) -> -tokens[i].length()).thenComparingInt(i -> i));
    float[][] out = new float[tokens.length][];
    // As SentenceTransformer batches: the first pair of a batch is its longest, and sizes it under the token cap.
    for (int start = 0, end; start < order.length; start = end) {
      end = Math.min(order.length, start + runtime.batchSizeFor(batchSize, tokens[order[start]].length()));
      int seq = 0;
      for (int j = start; j < end; j++) {
        seq = Math.max(seq, tokens[order[j]].length());
      }
      int n = end - start;
      long[] ids = new long[n * seq];
      long[] mask = new long[n * seq];
      long[] types = new long[n * seq];
      for (int j = 0; j < n; j++) {
        TokenizedText t = tokens[order[start + j]];
        System.arraycopy(t.ids(), 0, ids, j * seq, t.length());
        System.arraycopy(t.typeIds(), 0, types, j * seq, t.length());
        Arrays.fill(mask, j * seq, j * seq + t.length(), 1L);
      }
      float[][] logits = classifier.run(ids, mask, types, n, seq);
      for (int j = 0; j < n; j++) {
        out[order[start + j]] = logits[j];
      }
    }
    return out;
  }

  /** A logit through the model's activation (computed in double, returned as float32 as Python does). */
  public float activate(float logit) {
    return (float) folder.activation().apply(logit);
  }

  /**
   * Whether each pair is longer than the model's maximum length and would be truncated
   * (longest_first) before scoring.
   */
  public boolean[] exceedsMaxLength(List<TextPair> pairs) {
    return tokenizer.pairsExceedMaxLength(pairs.stream().map(TextPair::first).toList(), pairs.stream().map(TextPair::second).toList());
  }

  /** The model's maximum pair length in tokens. */
  public int maxLength() {
    return tokenizer.maxLength();
  }

  /**
   * The documents ranked for {@code query}, best first, at most {@code topK} (0 for all), ties in
   * input order; with {@code returnDocuments}, each entry carries its text.
   */
  public List<RankedDocument> rank(String query, List<String> documents, int topK, boolean returnDocuments) {
    float[] scores = predict(documents.stream().map(d -> new TextPair(query, d)).toList());
    Integer[] order = IntStream.range(0, scores.length).boxed().toArray(Integer[]::new);
    Arrays.sort(order, Comparator.comparingDouble((Integer i) -> -scores[i]).thenComparingInt(i -> i));
    int k = topK <= 0 ? order.length : Math.min(topK, order.length);
    List<RankedDocument> out = new ArrayList<>(k);
    for (int r = 0; r < k; r++) {
      int i = order[r];
      out.add(new RankedDocument(i, scores[i], returnDocuments ? documents.get(i) : null));
    }
    return out;
  }

  @Override
  public void close() {
    tokenizer.close();
    classifier.close();
  }
}
