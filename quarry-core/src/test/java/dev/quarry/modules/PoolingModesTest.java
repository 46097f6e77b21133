package dev.quarry.modules;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.quarry.TestModels;
import dev.quarry.encode.EncodeOptions;
import dev.quarry.encode.RuntimeOptions;
import dev.quarry.encode.SentenceTransformer;
import dev.quarry.inference.OnnxTransformer;
import dev.quarry.model.ModelFolder;
import dev.quarry.tokenize.TextTokenizer;
import dev.quarry.tokenize.TokenizedText;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Each pooling mode, run end to end through {@link SentenceTransformer} on a real model, against
 * a hand computation on the raw last_hidden_state of the same text.
 */
class PoolingModesTest {
  static final String TEXT = "Pooling turns token vectors into one sentence vector.";

  @TempDir Path tmp;

  @ParameterizedTest
  @EnumSource(PoolingMode.class)
  void eachModeMatchesAHandComputationOnTheRawHiddenStates(PoolingMode mode) {
    float[][] hidden = rawHiddenStates(TEXT);
    float[] expected = byHand(mode, hidden, 0);
    try (SentenceTransformer model = withPooling(List.of(mode), true)) {
      float[] got = model.encode(TEXT);
      assertClose(expected, got, 1e-5f);
    }
  }

  @Test
  void severalModesConcatenateInSentenceTransformersOrder() {
    float[][] hidden = rawHiddenStates(TEXT);
    try (SentenceTransformer model = withPooling(List.of(PoolingMode.MEAN, PoolingMode.CLS, PoolingMode.MAX), true)) {
      float[] got = model.encode(TEXT);
      assertEquals(3 * 384, got.length);
      float[] expected = new float[3 * 384];
      System.arraycopy(byHand(PoolingMode.CLS, hidden, 0), 0, expected, 0, 384);
      System.arraycopy(byHand(PoolingMode.MAX, hidden, 0), 0, expected, 384, 384);
      System.arraycopy(byHand(PoolingMode.MEAN, hidden, 0), 0, expected, 768, 384);
      assertClose(expected, got, 1e-5f);
    }
  }

  @Test
  void includePromptFalseLeavesPromptTokensOutOfTheMean() {
    String prompt = "query: ";
    float[][] hidden = rawHiddenStates(prompt + TEXT);
    // "[CLS] query :" -> prompt_length = 3 tokens (the prompt's own [SEP] is not counted).
    float[] expected = byHand(PoolingMode.MEAN, hidden, 3);
    try (SentenceTransformer model = withPooling(List.of(PoolingMode.MEAN), false)) {
      float[] got = model.encode(List.of(TEXT), EncodeOptions.defaults().withPrompt(prompt)).floats()[0];
      assertClose(expected, got, 1e-5f);
    }
  }

  private SentenceTransformer withPooling(List<PoolingMode> modes, boolean includePrompt) {
    StringBuilder json = new StringBuilder("{\"word_embedding_dimension\": 384, \"include_prompt\": " + includePrompt);
    for (PoolingMode m : modes) {
      json.append(", \"").append(m.configKey()).append("\": true");
    }
    json.append("}");
    Path dir = TestModels.copyOf(TestModels.MINILM, tmp.resolve("m" + System.nanoTime()), d -> {
      TestModels.write(d.resolve("1_Pooling/config.json"), json.toString());
      // Drop Normalize so the pooled vector itself is compared.
      TestModels.write(d.resolve("modules.json"), "[{\"idx\":0,\"name\":\"0\",\"path\":\"\",\"type\":\"sentence_transformers.models.Transformer\"},"
          + "{\"idx\":1,\"name\":\"1\",\"path\":\"1_Pooling\",\"type\":\"sentence_transformers.models.Pooling\"}]");
    });
    return SentenceTransformer.load(ModelFolder.read(dir, "pooling-test"), RuntimeOptions.defaults());
  }

  /** [tokens][384] straight from ONNX Runtime for one unpadded text. */
  private static float[][] rawHiddenStates(String text) {
    Path folder = TestModels.folder(TestModels.MINILM);
    try (TextTokenizer tok = new TextTokenizer(folder.resolve("tokenizer.json"), 256, false);
         OnnxTransformer onnx = new OnnxTransformer(folder.resolve("onnx/model.onnx"), 1)) {
      TokenizedText t = tok.encode(text);
      int n = t.length();
      long[] mask = new long[n];
      java.util.Arrays.fill(mask, 1);
      return onnx.run(t.ids(), mask, t.typeIds(), 1, n, (FloatBuffer buf, int dim) -> {
        float[][] out = new float[n][dim];
        for (int i = 0; i < n; i++) {
          buf.get(i * dim, out[i]);
        }
        return out;
      });
    }
  }

  /** The textbook definitions, written independently of {@link Pooling}. */
  static float[] byHand(PoolingMode mode, float[][] h, int skipLeading) {
    int n = h.length;
    int dim = h[0].length;
    float[] out = new float[dim];
    for (int d = 0; d < dim; d++) {
      double v;
      switch (mode) {
        case CLS -> v = h[0][d];
        case LAST_TOKEN -> v = h[n - 1][d];
        case MAX -> {
          v = Double.NEGATIVE_INFINITY;
          for (float[] row : h) {
            v = Math.max(v, row[d]);
          }
        }
        case MEAN, MEAN_SQRT_LEN_TOKENS -> {
          double s = 0;
          for (int t = skipLeading; t < n; t++) {
            s += h[t][d];
          }
          int count = n - skipLeading;
          v = mode == PoolingMode.MEAN ? s / count : s / Math.sqrt(count);
        }
        case WEIGHTED_MEAN -> {
          double s = 0;
          double w = 0;
          for (int t = 0; t < n; t++) {
            s += (t + 1) * (double) h[t][d];
            w += t + 1;
          }
          v = s / w;
        }
        default -> throw new IllegalArgumentException(mode.toString());
      }
      out[d] = (float) v;
    }
    return out;
  }

  static void assertClose(float[] expected, float[] got, float tol) {
    assertEquals(expected.length, got.length);
    for (int i = 0; i < expected.length; i++) {
      assertEquals(expected[i], got[i], tol, "dimension " + i);
    }
  }
}
