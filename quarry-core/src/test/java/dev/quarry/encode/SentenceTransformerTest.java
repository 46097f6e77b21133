package dev.quarry.encode;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.quarry.TestModels;
import dev.quarry.similarity.SimilarityFunction;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class SentenceTransformerTest {
  static final List<String> TEXTS = List.of(
      "A man is eating food.",
      "Gradient descent updates the weights of a neural network in the direction that lowers the loss,"
          + " one mini-batch at a time, with a step size called the learning rate.",
      "Hi",
      "",
      "The transformer architecture replaced recurrence with self-attention, so every token can attend"
          + " to every other token in one layer; positional embeddings tell the model where each token sits."
          + " This made training parallel across the sequence and let models grow to billions of parameters.",
      "Dense retrieval encodes queries and passages into one vector space.");

  @ParameterizedTest
  @ValueSource(strings = {TestModels.MINILM, TestModels.BGE, TestModels.E5})
  void sameTextGivesSameVectorAloneOrInAnyBatch(String id) {
    SentenceTransformer model = TestModels.model(id);
    float[][] together = model.encode(TEXTS, EncodeOptions.defaults().withBatchSize(32)).floats();
    float[][] pairs = model.encode(TEXTS, EncodeOptions.defaults().withBatchSize(2)).floats();
    for (int i = 0; i < TEXTS.size(); i++) {
      float[] alone = model.encode(TEXTS.get(i));
      assertEquals(model.dimension(), alone.length);
      assertTrue(maxAbsDiff(alone, together[i]) <= 1e-5, "text " + i + " differs in a batch of 32: " + maxAbsDiff(alone, together[i]));
      assertTrue(maxAbsDiff(alone, pairs[i]) <= 1e-5, "text " + i + " differs in a batch of 2");
    }
  }

  /** The sentence-transformers README's quick-start, whose printed scores are an independent reference. */
  @Test
  void reproducesTheSentenceTransformersQuickStartScores() {
    SentenceTransformer model = TestModels.model(TestModels.MINILM);
    float[][] e = model.encode(List.of("The weather is lovely today.", "It's so sunny outside!", "He drove to the stadium."));
    float[][] sim = SimilarityFunction.COSINE.matrix(e, e);
    // Published: [[1.0000, 0.6660, 0.1046], [0.6660, 1.0000, 0.1411], ...]; printed to 4 decimals.
    assertEquals(0.6660, sim[0][1], 6e-4);
    assertEquals(0.1046, sim[0][2], 6e-4);
    assertEquals(0.1411, sim[1][2], 6e-4);
  }

  @ParameterizedTest
  @ValueSource(strings = {TestModels.MINILM, TestModels.BGE, TestModels.E5})
  void paraphrasesScoreAboveUnrelatedPairs(String id) {
    SentenceTransformer model = TestModels.model(id);
    String[][] paraphrases = {
        {"How do I reset my password?", "What are the steps to change a forgotten password?"},
        {"The cat sat on the mat.", "A cat was sitting on a rug."},
        {"Neural networks learn from data.", "Deep learning models are trained on examples."},
    };
    for (String[] p : paraphrases) {
      float[][] e = model.encode(List.of(p[0], p[1]));
      float paraphrase = model.similarityFunction().score(e[0], e[1]);
      for (String[] q : paraphrases) {
        if (q == p) {
          continue;
        }
        float unrelated = model.similarityFunction().score(e[0], model.encode(q[1]));
        assertTrue(paraphrase > unrelated + 0.05, id + ": '" + p[0] + "' paraphrase " + paraphrase + " vs unrelated " + unrelated);
      }
    }
  }

  @Test
  void builtInModelsAreNormalisedWithTheirHubDimensions() {
    for (String id : List.of(TestModels.MINILM, TestModels.BGE, TestModels.E5)) {
      SentenceTransformer m = TestModels.model(id);
      assertEquals(384, m.dimension());
      assertEquals(1.0, norm(m.encode("normalised by the Normalize module")), 1e-5, id);
    }
    assertEquals(256, TestModels.model(TestModels.MINILM).maxSeqLength());
    assertEquals(512, TestModels.model(TestModels.BGE).maxSeqLength());
    assertEquals(512, TestModels.model(TestModels.E5).maxSeqLength());
  }

  @Test
  void longTextsAreTruncatedAtTheModelsOwnMaxLengthNotTheJarsHundredTwentyEight() {
    SentenceTransformer model = TestModels.model(TestModels.MINILM);
    String longText = "retrieval ".repeat(200) + "ends with something else entirely about cooking pasta";
    float[] full = model.encode(longText);
    float[] at128 = model.encode(List.of(longText), EncodeOptions.defaults().withMaxLength(128)).floats()[0];
    assertTrue(maxAbsDiff(full, at128) > 1e-3, "max_seq_length 256 must see more than 128 tokens");
    String longer = longText + " and more words " .repeat(200);
    float[] a = model.encode(longer);
    float[] b = model.encode(longer + " appended after token 256 is ignored");
    assertTrue(maxAbsDiff(a, b) < 1e-6, "text past max_seq_length must not matter");
  }

  @Test
  void promptsAreLiteralPrefixes() {
    SentenceTransformer bge = TestModels.model(TestModels.BGE);
    String q = "what is dense retrieval";
    float[] named = bge.encode(List.of(q), EncodeOptions.defaults().withPromptName("query")).floats()[0];
    float[] literal = bge.encode("Represent this sentence for searching relevant passages: " + q);
    assertTrue(maxAbsDiff(named, literal) < 1e-6);
    SentenceTransformer e5 = TestModels.model(TestModels.E5);
    assertTrue(maxAbsDiff(e5.encodeQueries(List.of(q), EncodeOptions.defaults())[0], e5.encode("query: " + q)) < 1e-6);
    assertTrue(maxAbsDiff(e5.encodeDocuments(List.of(q), EncodeOptions.defaults())[0], e5.encode("passage: " + q)) < 1e-6);
    assertTrue(maxAbsDiff(e5.encode(q), e5.encode("query: " + q)) > 1e-3, "no prompt by default");
  }

  @Test
  void matryoshkaTruncationKeepsTheLeadingDimensions() {
    SentenceTransformer model = TestModels.model(TestModels.MINILM);
    float[] full = model.encode(TEXTS.get(1));
    float[] cut = model.encode(List.of(TEXTS.get(1)), EncodeOptions.defaults().withTruncateDim(128)).floats()[0];
    assertEquals(128, cut.length);
    assertArrayEquals(java.util.Arrays.copyOf(full, 128), cut);
    float[] cutNorm = model.encode(List.of(TEXTS.get(1)), EncodeOptions.defaults().withTruncateDim(128).withNormalize(true)).floats()[0];
    assertEquals(1.0, norm(cutNorm), 1e-6, "normalize_embeddings applies after truncation");
    float n = norm(cut);
    for (int i = 0; i < 128; i++) {
      assertEquals(cut[i] / n, cutNorm[i], 1e-6);
    }
  }

  @Test
  void quantisedPrecisionsFollowTheFloatEmbeddings() {
    SentenceTransformer model = TestModels.model(TestModels.MINILM);
    float[][] f = model.encode(TEXTS);
    byte[][] ub = model.encode(TEXTS, EncodeOptions.defaults().withPrecision(Precision.UBINARY)).bytes();
    assertEquals(48, ub[0].length, "384 sign bits pack into 48 bytes");
    for (int d = 0; d < 384; d++) {
      boolean bit = ((ub[0][d / 8] >> (7 - d % 8)) & 1) == 1;
      assertEquals(f[0][d] > 0, bit);
    }
    byte[][] i8 = model.encode(TEXTS, EncodeOptions.defaults().withPrecision(Precision.INT8)).bytes();
    assertArrayEquals(Quantization.quantize(f, Precision.INT8, null)[3], i8[3]);
  }

  @Test
  void concurrentCallersGetTheSameVectorsAsOneCaller() throws Exception {
    SentenceTransformer model = TestModels.model(TestModels.MINILM);
    float[][] expected = model.encode(TEXTS);
    ExecutorService pool = Executors.newFixedThreadPool(6);
    try {
      List<Future<float[][]>> futures = new ArrayList<>();
      for (int i = 0; i < 12; i++) {
        Callable<float[][]> c = () -> model.encode(TEXTS, EncodeOptions.defaults().withBatchSize(3)).floats();
        futures.add(pool.submit(c));
      }
      for (Future<float[][]> f : futures) {
        float[][] got = f.get();
        for (int i = 0; i < TEXTS.size(); i++) {
          assertTrue(maxAbsDiff(expected[i], got[i]) <= 1e-5);
        }
      }
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void progressReachesTheTotal() {
    SentenceTransformer model = TestModels.model(TestModels.MINILM);
    List<Integer> seen = java.util.Collections.synchronizedList(new ArrayList<>());
    model.encode(TEXTS, EncodeOptions.defaults().withBatchSize(2).withProgress((done, total) -> {
      assertEquals(TEXTS.size(), total);
      seen.add(done);
    }));
    assertEquals(3, seen.size());
    assertEquals(TEXTS.size(), seen.stream().mapToInt(Integer::intValue).max().orElse(0));
  }

  /**
   * The padded-token cap: six 256-token texts go in batches of 2 under the default 512, six short
   * ones still in one batch, and no vector changes against uncapped batches of 32.
   */
  @Test
  void theTokenCapSizesEachBatchByItsLongestTextAndChangesNoVector() {
    List<String> texts = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      texts.add(i + " " + TestModels.LONG_TEXT);
      texts.add("short question number " + i);
    }
    dev.quarry.model.ModelFolder folder = dev.quarry.model.ModelFolder.read(TestModels.folder(TestModels.MINILM), TestModels.MINILM);
    try (SentenceTransformer capped = SentenceTransformer.load(folder, RuntimeOptions.defaults());
        SentenceTransformer uncapped = SentenceTransformer.load(folder, RuntimeOptions.defaults().withMaxBatchTokens(0))) {
      assertEquals(RuntimeOptions.DEFAULT_MAX_BATCH_TOKENS, RuntimeOptions.defaults().maxBatchTokens());
      assertEquals(List.of(2, 2, 2, 6), batchSizes(capped, texts));
      assertEquals(List.of(12), batchSizes(uncapped, texts));
      float[][] a = capped.encode(texts, EncodeOptions.defaults()).floats();
      float[][] b = uncapped.encode(texts, EncodeOptions.defaults()).floats();
      for (int i = 0; i < texts.size(); i++) {
        assertTrue(maxAbsDiff(a[i], b[i]) < 1e-5, "text " + i);
      }
    }
    assertTrue(org.junit.jupiter.api.Assertions.assertThrows(dev.quarry.QuarryException.class,
        () -> RuntimeOptions.defaults().withMaxBatchTokens(-1)).getMessage().contains("max batch tokens"));
  }

  /** The batch sizes a call ran, sorted, read from its progress reports (cumulative counts). */
  private static List<Integer> batchSizes(SentenceTransformer model, List<String> texts) {
    List<Integer> done = java.util.Collections.synchronizedList(new ArrayList<>());
    model.encode(texts, EncodeOptions.defaults().withProgress((d, total) -> done.add(d)));
    List<Integer> sorted = done.stream().sorted().toList();
    List<Integer> sizes = new ArrayList<>();
    for (int i = 0; i < sorted.size(); i++) {
      sizes.add(sorted.get(i) - (i == 0 ? 0 : sorted.get(i - 1)));
    }
    return sizes.stream().sorted().toList();
  }

  static float maxAbsDiff(float[] a, float[] b) {
    assertEquals(a.length, b.length);
    float m = 0;
    for (int i = 0; i < a.length; i++) {
      m = Math.max(m, Math.abs(a[i] - b[i]));
    }
    return m;
  }

  static float norm(float[] v) {
    double s = 0;
    for (float x : v) {
      s += x * x;
    }
    return (float) Math.sqrt(s);
  }
}
