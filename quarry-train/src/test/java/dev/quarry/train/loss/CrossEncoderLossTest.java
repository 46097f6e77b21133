package dev.quarry.train.loss;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import dev.quarry.QuarryException;
import dev.quarry.rerank.TextPair;
import dev.quarry.train.examples.RerankExample;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Each cross-encoder loss against the same loss computed by hand in doubles, with the model
 * replaced by a table of logits: one leaf tensor whose gradient is checked too, so the loss is
 * also what backward differentiates.
 */
class CrossEncoderLossTest {
  /** A "model" that looks each pair's logit up, remembering which pairs it was asked for. */
  static final class TableModel implements CrossEncoderLoss.PairLogits {
    final Map<TextPair, Double> logits;
    final NDManager manager;
    final List<TextPair> asked = new ArrayList<>();
    NDArray leaf;

    TableModel(Map<TextPair, Double> logits, NDManager manager) {
      this.logits = logits;
      this.manager = manager;
    }

    @Override
    public NDArray of(List<TextPair> pairs) {
      asked.addAll(pairs);
      float[] v = new float[pairs.size()];
      for (int i = 0; i < v.length; i++) {
        v[i] = logits.get(pairs.get(i)).floatValue();
      }
      leaf = manager.create(v);
      leaf.setRequiresGradient(true);
      return leaf;
    }
  }

  private static Map<TextPair, Double> table(Random rnd, List<String> queries, List<String> docs) {
    Map<TextPair, Double> t = new HashMap<>();
    for (String q : queries) {
      for (String d : docs) {
        t.put(new TextPair(q, d), rnd.nextGaussian() * 2);
      }
    }
    return t;
  }

  private static double softplus(double x) {
    return Math.log1p(Math.exp(-Math.abs(x))) + Math.max(x, 0);
  }

  private static double sigmoid(double x) {
    return 1 / (1 + Math.exp(-x));
  }

  @Test
  void binaryCrossEntropyWithPosWeightMatchesBceWithLogitsByHand() {
    List<RerankExample> batch = List.of(
        new RerankExample("q1", List.of("a"), List.of(1.0), "t:1"),
        new RerankExample("q1", List.of("b"), List.of(0.0), "t:2"),
        new RerankExample("q2", List.of("c"), List.of(0.0), "t:3"),
        new RerankExample("q2", List.of("a"), List.of(0.7), "t:4"));
    Map<TextPair, Double> t = table(new Random(1), List.of("q1", "q2"), List.of("a", "b", "c"));
    double pw = 3.0;
    double sum = 0;
    double[] grad = new double[4];
    for (int i = 0; i < 4; i++) {
      RerankExample r = batch.get(i);
      double x = t.get(new TextPair(r.query(), r.documents().get(0)));
      double y = r.labels().get(0);
      // torch.nn.BCEWithLogitsLoss(pos_weight): -[pw y log s(x) + (1 - y) log(1 - s(x))], mean
      sum += -(pw * y * Math.log(sigmoid(x)) + (1 - y) * Math.log(1 - sigmoid(x)));
      grad[i] = (-pw * y * (1 - sigmoid(x)) + (1 - y) * sigmoid(x)) / 4;
    }
    try (NDManager m = NDManager.newBaseManager("PyTorch"); GradientCollector gc = Engine.getEngine("PyTorch").newGradientCollector()) {
      TableModel model = new TableModel(t, m);
      NDArray loss = new BinaryCrossEntropyLoss(pw).compute(batch, model, new Random(0));
      assertEquals(sum / 4, loss.getFloat(), 1e-6);
      gc.backward(loss);
      float[] g = model.leaf.getGradient().toFloatArray();
      for (int i = 0; i < 4; i++) {
        assertEquals(grad[i], g[i], 1e-6, "d loss / d logit " + i);
      }
      assertEquals(softplus(0), Math.log(2), 1e-12); // the helper itself
    }
  }

  @Test
  void multipleNegativesRankingLossScoresPositiveHardAndInBatchNegativesByHand() {
    // Three rows of (query, positive, one hard negative); num_negatives larger than the batch's
    // candidates takes every other row's candidate, in order, so the hand computation is exact.
    List<RerankExample> batch = List.of(
        new RerankExample("q0", List.of("p0", "n0"), List.of(1.0, 0.0), "t:1"),
        new RerankExample("q1", List.of("p1", "n1"), List.of(1.0, 0.0), "t:2"),
        new RerankExample("q2", List.of("p2", "n2"), List.of(1.0, 0.0), "t:3"));
    List<String> docs = List.of("p0", "p1", "p2", "n0", "n1", "n2");
    Map<TextPair, Double> t = table(new Random(2), List.of("q0", "q1", "q2"), docs);
    double scale = 10;
    double total = 0;
    for (int row = 0; row < 3; row++) {
      int i = row;
      List<String> candidates = new ArrayList<>();
      candidates.add("p" + i);
      for (int idx = 0; idx < 6; idx++) { // flattened column by column: p0 p1 p2 n0 n1 n2
        if (idx % 3 != i) {
          candidates.add(docs.get(idx));
        }
      }
      candidates.add("n" + i);
      double[] s = candidates.stream().mapToDouble(d -> scale * sigmoid(t.get(new TextPair("q" + i, d)))).toArray();
      double max = java.util.Arrays.stream(s).max().orElseThrow();
      double lse = max + Math.log(java.util.Arrays.stream(s).map(v -> Math.exp(v - max)).sum());
      total += lse - s[0];
    }
    try (NDManager m = NDManager.newBaseManager("PyTorch")) {
      TableModel model = new TableModel(t, m);
      NDArray loss = new CrossEncoderMultipleNegativesRankingLoss(100, scale).compute(batch, model, new Random(0));
      assertEquals(total / 3, loss.getFloat(), 1e-5);
      assertEquals(3 * (1 + 4 + 1), model.asked.size(), "positive, 4 in-batch and 1 hard negative per query");
    }
    // With the default 4 draws out of 4 allowed, a seeded draw takes each other row's candidate once.
    try (NDManager m = NDManager.newBaseManager("PyTorch")) {
      TableModel model = new TableModel(t, m);
      new CrossEncoderMultipleNegativesRankingLoss(2, scale).compute(batch, model, new Random(5));
      assertEquals(3 * (1 + 2 + 1), model.asked.size());
      for (TextPair p : model.asked) {
        String own = p.first().substring(1);
        boolean ownDoc = p.second().endsWith(own);
        boolean allowed = !ownDoc || p.second().equals("p" + own) || p.second().equals("n" + own);
        assertTrue(allowed, "query " + p.first() + " drew its own document " + p.second() + " as an in-batch negative");
      }
    }
  }

  @Test
  void listNetIsCrossEntropyBetweenLabelAndLogitSoftmaxesPerList() {
    List<RerankExample> batch = List.of(
        new RerankExample("q0", List.of("a", "b", "c"), List.of(1.0, 0.0, 0.0), "t:1"),
        new RerankExample("q1", List.of("a", "b"), List.of(2.0, 1.0), "t:2"));
    Map<TextPair, Double> t = table(new Random(3), List.of("q0", "q1"), List.of("a", "b", "c"));
    double total = 0;
    double[] grad = new double[5];
    int off = 0;
    for (RerankExample r : batch) {
      int n = r.documents().size();
      double[] x = r.documents().stream().mapToDouble(d -> t.get(new TextPair(r.query(), d))).toArray();
      double[] y = r.labels().stream().mapToDouble(Double::doubleValue).toArray();
      double[] p = softmax(x);
      double[] target = softmax(y);
      for (int j = 0; j < n; j++) {
        total -= target[j] * Math.log(p[j]);
        grad[off + j] = (p[j] - target[j]) / batch.size();
      }
      off += n;
    }
    try (NDManager m = NDManager.newBaseManager("PyTorch"); GradientCollector gc = Engine.getEngine("PyTorch").newGradientCollector()) {
      TableModel model = new TableModel(t, m);
      NDArray loss = new ListNetLoss().compute(batch, model, new Random(0));
      assertEquals(total / 2, loss.getFloat(), 1e-6);
      gc.backward(loss);
      float[] g = model.leaf.getGradient().toFloatArray();
      for (int i = 0; i < 5; i++) {
        assertEquals(grad[i], g[i], 1e-6, "d loss / d logit " + i);
      }
    }
  }

  private static double[] softmax(double[] x) {
    double max = java.util.Arrays.stream(x).max().orElseThrow();
    double[] e = java.util.Arrays.stream(x).map(v -> Math.exp(v - max)).toArray();
    double s = java.util.Arrays.stream(e).sum();
    return java.util.Arrays.stream(e).map(v -> v / s).toArray();
  }

  @Test
  void eachLossRefusesRowsItCannotTakeNamingTheRow() {
    QuarryException bce = assertThrows(QuarryException.class,
        () -> new BinaryCrossEntropyLoss(null).check(List.of(new RerankExample("q", List.of("d"), List.of(2.0), "pairs.jsonl:7"))));
    assertTrue(bce.getMessage().contains("pairs.jsonl:7") && bce.getMessage().contains("[0, 1]"), bce.getMessage());
    QuarryException allPositive = assertThrows(QuarryException.class,
        () -> new BinaryCrossEntropyLoss(null).check(List.of(new RerankExample("q", List.of("d"), List.of(1.0), "qrels/train.tsv:2"))));
    assertTrue(allPositive.getMessage().contains("negative"), allPositive.getMessage());
    assertThrows(QuarryException.class, () -> new BinaryCrossEntropyLoss(0.0));
    QuarryException ragged = assertThrows(QuarryException.class, () -> CrossEncoderMultipleNegativesRankingLoss.defaults().check(List.of(
        new RerankExample("q", List.of("p", "n"), List.of(1.0, 0.0), "m.jsonl:1"),
        new RerankExample("r", List.of("p2"), List.of(1.0), "m.jsonl:2"))));
    assertTrue(ragged.getMessage().startsWith("m.jsonl:2"), ragged.getMessage());
    QuarryException labelled = assertThrows(QuarryException.class, () -> CrossEncoderMultipleNegativesRankingLoss.defaults().check(List.of(
        new RerankExample("q", List.of("n", "p"), List.of(0.0, 1.0), "pairs.tsv:3"))));
    assertTrue(labelled.getMessage().contains("pairs.tsv:3"), labelled.getMessage());
    QuarryException single = assertThrows(QuarryException.class,
        () -> new ListNetLoss().check(List.of(new RerankExample("q", List.of("d"), List.of(1.0), "x.jsonl:4"))));
    assertTrue(single.getMessage().contains("x.jsonl:4"), single.getMessage());
  }
}
