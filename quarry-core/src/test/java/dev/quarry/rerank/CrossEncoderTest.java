package dev.quarry.rerank;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.quarry.TestModels;
import dev.quarry.encode.RuntimeOptions;
import dev.quarry.inference.OnnxTransformer;
import dev.quarry.io.Tensor;
import dev.quarry.model.CrossEncoderFolder;
import dev.quarry.modules.ModuleType;
import dev.quarry.tokenize.TextTokenizer;
import dev.quarry.tokenize.TokenizedText;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Cross-encoders built here from all-MiniLM-L6-v2's encoder and a seeded classification head (no
 * cross-encoder ships on Maven Central), laid out in both dialects sentence-transformers writes.
 * Scores are checked against the head computed by hand in doubles over the hidden states of the
 * built-in ONNX graph.
 */
class CrossEncoderTest {
  private static final String QUERY = "How does dropout regularise a network?";
  private static final List<String> DOCS = List.of("Dropout randomly zeroes activations during training.",
      "BM25 ranks documents by term frequency.", "Weight decay shrinks the weights toward zero.", "");

  @TempDir Path tmp;

  static Path classic(Path dir, int labels, String activation) {
    return TestModels.crossEncoder(dir, labels, activation);
  }

  /** The head by hand: [CLS] state of the built-in graph → tanh(Wp x + bp) → Wc · + bc, in doubles. */
  private static double[][] logitsByHand(Path folder, List<TextPair> pairs) {
    Map<String, Tensor> w = dev.quarry.io.SafetensorsWriter.readAll(folder.resolve("model.safetensors"));
    Tensor wp = w.get("bert.pooler.dense.weight");
    Tensor bp = w.get("bert.pooler.dense.bias");
    Tensor wc = w.get("classifier.weight");
    Tensor bc = w.get("classifier.bias");
    int h = (int) bp.shape()[0];
    int labels = (int) bc.shape()[0];
    double[][] out = new double[pairs.size()][labels];
    try (TextTokenizer tok = new TextTokenizer(folder.resolve("tokenizer.json"), 512, false);
        OnnxTransformer encoder = new OnnxTransformer(TestModels.folder(TestModels.MINILM).resolve("onnx/model.onnx"), 1)) {
      for (int p = 0; p < pairs.size(); p++) {
        TokenizedText t = tok.encodePairs(List.of(pairs.get(p).first()), List.of(pairs.get(p).second()))[0];
        long[] mask = new long[t.length()];
        Arrays.fill(mask, 1);
        float[] cls = encoder.run(t.ids(), mask, t.typeIds(), 1, t.length(), (hidden, dim) -> {
          float[] first = new float[dim];
          hidden.get(first);
          return first;
        });
        double[] pooled = new double[h];
        for (int o = 0; o < h; o++) {
          double s = bp.data()[o];
          for (int i = 0; i < h; i++) {
            s += (double) wp.data()[o * h + i] * cls[i];
          }
          pooled[o] = Math.tanh(s);
        }
        for (int l = 0; l < labels; l++) {
          double s = bc.data()[l];
          for (int i = 0; i < h; i++) {
            s += (double) wc.data()[l * h + i] * pooled[i];
          }
          out[p][l] = s;
        }
      }
    }
    return out;
  }

  private static List<TextPair> pairs() {
    List<TextPair> out = new ArrayList<>();
    for (String d : DOCS) {
      out.add(new TextPair(QUERY, d));
    }
    out.add(new TextPair(TestModels.LONG_TEXT, TestModels.LONG_TEXT)); // both sides truncated, longest first
    return out;
  }

  @Test
  void scoresAreTheHeadOverTheEncoderWithTheDefaultSigmoid() {
    Path dir = classic(tmp.resolve("ce"), 1, null);
    CrossEncoderFolder folder = CrossEncoderFolder.read(dir, "ce", tmp.resolve("cache"));
    assertEquals("classic", folder.dialect());
    assertEquals("default for one label", folder.activationSource());
    assertEquals(512, folder.maxLength());
    double[][] want = logitsByHand(dir, pairs());
    try (CrossEncoder ce = CrossEncoder.load(folder, RuntimeOptions.defaults())) {
      float[] got = ce.predict(pairs());
      double worst = 0;
      for (int i = 0; i < got.length; i++) {
        worst = Math.max(worst, Math.abs(got[i] - 1 / (1 + Math.exp(-want[i][0]))));
      }
      assertTrue(worst <= 1e-5, "max |Quarry - by hand| = " + worst);
      List<RankedDocument> ranked = ce.rank(QUERY, DOCS, 2, true);
      assertEquals(2, ranked.size());
      assertTrue(ranked.get(0).score() >= ranked.get(1).score());
      assertEquals(DOCS.get(ranked.get(0).corpusId()), ranked.get(0).text());
      float[] one = ce.predict(List.of(pairs().get(ranked.get(0).corpusId())));
      assertEquals(one[0], ranked.get(0).score(), 1e-6, "a pair scores the same alone or in a batch");
    }
  }

  @Test
  void pairsFollowTheTokenizersTemplateAndTruncateLongestFirst() {
    try (TextTokenizer tok = new TextTokenizer(TestModels.folder(TestModels.MINILM).resolve("tokenizer.json"), 64, false)) {
      TokenizedText q = tok.encode("what is dropout");
      TokenizedText d = tok.encode("Dropout zeroes activations.");
      TokenizedText pair = tok.encodePairs(List.of("what is dropout"), List.of("Dropout zeroes activations."))[0];
      long[] want = new long[q.length() + d.length() - 1]; // [CLS] q [SEP] + d [SEP] (d without its [CLS])
      System.arraycopy(q.ids(), 0, want, 0, q.length());
      System.arraycopy(d.ids(), 1, want, q.length(), d.length() - 1);
      assertArrayEquals(want, pair.ids());
      for (int i = 0; i < pair.length(); i++) {
        assertEquals(i < q.length() ? 0 : 1, pair.typeIds()[i], "token type of position " + i);
      }
      // A short query beside a long passage: only the passage loses tokens.
      TokenizedText cut = tok.encodePairs(List.of("what is dropout"), List.of(TestModels.LONG_TEXT))[0];
      assertEquals(64, cut.length());
      assertArrayEquals(q.ids(), Arrays.copyOf(cut.ids(), q.length()));
      assertEquals(q.ids()[q.length() - 1], cut.ids()[63], "ends with [SEP]");
      // Two long sides: the longer is cut first, so they end up within one token of each other.
      TokenizedText both = tok.encodePairs(List.of(TestModels.LONG_TEXT), List.of(TestModels.LONG_TEXT))[0];
      long firstSide = Arrays.stream(both.typeIds()).filter(x -> x == 0).count();
      assertEquals(64, both.length());
      assertTrue(Math.abs(firstSide - (64 - firstSide)) <= 2, "sides " + firstSide + " / " + (64 - firstSide));
    }
  }

  @Test
  void activationRulesAndSeveralLabels() {
    Path sigmoid = classic(tmp.resolve("default"), 1, null);
    Path identity = classic(tmp.resolve("identity"), 1, "torch.nn.modules.linear.Identity");
    try (CrossEncoder a = CrossEncoder.load(CrossEncoderFolder.read(sigmoid, "a", tmp.resolve("cache")), RuntimeOptions.defaults());
        CrossEncoder b = CrossEncoder.load(CrossEncoderFolder.read(identity, "b", tmp.resolve("cache")), RuntimeOptions.defaults())) {
      assertEquals("config.json sentence_transformers.activation_fn", b.folder().activationSource());
      float[] probabilities = a.predict(pairs());
      float[] logits = b.predict(pairs());
      for (int i = 0; i < logits.length; i++) {
        assertEquals(1 / (1 + Math.exp(-logits[i])), probabilities[i], 1e-6);
      }
    }
    Path three = classic(tmp.resolve("three"), 3, null);
    try (CrossEncoder c = CrossEncoder.load(CrossEncoderFolder.read(three, "c", tmp.resolve("cache")), RuntimeOptions.defaults())) {
      assertEquals("default for 3 labels", c.folder().activationSource()); // Identity, as get_default_activation_fn
      assertMessage(() -> c.predict(pairs()), "3 labels", "predictAll");
      float[][] all = c.predictAll(pairs(), 2);
      double[][] want = logitsByHand(three, pairs());
      for (int i = 0; i < all.length; i++) {
        for (int l = 0; l < 3; l++) {
          assertEquals(want[i][l], all[i][l], 1e-4);
        }
      }
    }
  }

  @Test
  void theModularDialectScoresAsTheClassicOne() throws IOException {
    Path classic = classic(tmp.resolve("classic"), 1, null);
    Path modular = classic(tmp.resolve("modular"), 1, null);
    Files.writeString(modular.resolve("modules.json"), "[{\"idx\": 0, \"name\": \"0\", \"path\": \"\", \"type\": \""
        + ModuleType.TRANSFORMER.paths().get(1) + "\"}]");
    Files.writeString(modular.resolve("sentence_bert_config.json"), "{\"transformer_task\": \"sequence-classification\","
        + " \"modality_config\": {\"text\": {\"method\": \"forward\", \"method_output_name\": \"logits\"}}, \"module_output_name\": \"scores\"}");
    Files.writeString(modular.resolve("config_sentence_transformers.json"), "{\"model_type\": \"CrossEncoder\","
        + " \"activation_fn\": \"torch.nn.modules.activation.Sigmoid\", \"prompts\": {}, \"default_prompt_name\": null}");
    try (CrossEncoder a = CrossEncoder.load(CrossEncoderFolder.read(classic, "a", tmp.resolve("cache")), RuntimeOptions.defaults());
        CrossEncoder b = CrossEncoder.load(CrossEncoderFolder.read(modular, "b", tmp.resolve("cache")), RuntimeOptions.defaults())) {
      assertEquals("modular", b.folder().dialect());
      assertEquals("config_sentence_transformers.json activation_fn", b.folder().activationSource());
      assertArrayEquals(a.predict(pairs()), b.predict(pairs()));
    }
  }

  @Test
  void biEncodersAndCausalRerankersAreRefusedByName() throws IOException {
    assertMessage(() -> CrossEncoderFolder.read(TestModels.folder(TestModels.MINILM), "m", tmp.resolve("cache")),
        "SentenceTransformer", "not a CrossEncoder");
    Path logitScore = classic(tmp.resolve("logit"), 1, null);
    Files.writeString(logitScore.resolve("config_sentence_transformers.json"), "{\"model_type\": \"CrossEncoder\"}");
    Files.writeString(logitScore.resolve("modules.json"), "[{\"idx\": 0, \"name\": \"0\", \"path\": \"\", \"type\": \""
        + ModuleType.TRANSFORMER.paths().get(1) + "\"}, {\"idx\": 1, \"name\": \"1\", \"path\": \"1_LogitScore\", \"type\":"
        + " \"sentence_transformers.cross_encoder.modules.logit_score.LogitScore\"}]");
    Files.writeString(logitScore.resolve("sentence_bert_config.json"), "{\"transformer_task\": \"sequence-classification\"}");
    assertMessage(() -> CrossEncoderFolder.read(logitScore, "x", tmp.resolve("cache")), "LogitScore", "causal-LM");
  }

  private static void assertMessage(org.junit.jupiter.api.function.Executable call, String... parts) {
    dev.quarry.QuarryException e = assertThrows(dev.quarry.QuarryException.class, call);
    for (String part : parts) {
      assertTrue(e.getMessage().contains(part), "message lacks '" + part + "': " + e.getMessage());
    }
  }
}
