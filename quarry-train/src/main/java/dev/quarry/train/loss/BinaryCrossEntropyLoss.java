package dev.quarry.train.loss;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.Activation;
import dev.quarry.QuarryException;
import dev.quarry.rerank.TextPair;
import dev.quarry.train.bert.NativeArrays;
import dev.quarry.train.examples.RerankExample;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * sentence-transformers' cross-encoder {@code BinaryCrossEntropyLoss}: {@code BCEWithLogitsLoss} on
 * each pair's logit against its label in [0, 1], averaged over the pairs, positives weighted by
 * {@code pos_weight}: {@code pw·y·softplus(-x) + (1-y)·softplus(x)}. With one positive to several
 * mined negatives, a pos_weight near the ratio keeps the positives from being drowned out.
 */
public final class BinaryCrossEntropyLoss implements CrossEncoderLoss {
  static final String CLASS_NAME = "sentence_transformers.cross_encoder.losses.BinaryCrossEntropyLoss.BinaryCrossEntropyLoss";
  private final Double posWeight;

  /** @param posWeight the weight of positive pairs; null for none (1) */
  public BinaryCrossEntropyLoss(Double posWeight) {
    if (posWeight != null && !(posWeight > 0)) {
      throw new QuarryException("--pos-weight must be positive, got " + posWeight + ".");
    }
    this.posWeight = posWeight;
  }

  @Override
  public NDArray compute(List<RerankExample> batch, PairLogits model, Random random) {
    List<TextPair> pairs = new ArrayList<>();
    List<Double> labels = new ArrayList<>();
    for (RerankExample row : batch) {
      for (int i = 0; i < row.documents().size(); i++) {
        pairs.add(new TextPair(row.query(), row.documents().get(i)));
        labels.add(row.labels().get(i));
      }
    }
    NDArray x = model.of(pairs);
    float pw = posWeight == null ? 1f : posWeight.floatValue();
    float[] y = new float[labels.size()];
    float[] wy = new float[labels.size()];
    for (int i = 0; i < y.length; i++) {
      y[i] = labels.get(i).floatValue();
      wy[i] = pw * y[i];
    }
    NDArray posTerm = Activation.softPlus(x.neg()).mul(NativeArrays.of(x.getManager(), wy, x.getShape()));
    NDArray negTerm = Activation.softPlus(x).mul(NativeArrays.of(x.getManager(), oneMinus(y), x.getShape()));
    return posTerm.add(negTerm).mean();
  }

  private static float[] oneMinus(float[] y) {
    float[] out = new float[y.length];
    for (int i = 0; i < y.length; i++) {
      out[i] = 1 - y[i];
    }
    return out;
  }

  @Override
  public void check(List<RerankExample> rows) {
    for (RerankExample r : rows) {
      for (double l : r.labels()) {
        if (!(l >= 0 && l <= 1)) {
          throw new QuarryException(r.source() + ": label " + l + " is outside [0, 1], which BinaryCrossEntropyLoss needs"
              + " (use --loss listnet for graded labels).");
        }
      }
    }
    if (!rows.isEmpty() && rows.stream().allMatch(r -> r.labels().stream().allMatch(l -> l >= 1.0))) {
      throw new QuarryException("Every training pair is labelled 1 (first: " + rows.get(0).source() + "): BinaryCrossEntropyLoss"
          + " would learn to call everything relevant. Add negatives: quarry mine --format n-tuple, then --train-file; or use --loss mnrl.");
    }
  }

  @Override
  public boolean pairwise() {
    return true;
  }

  @Override
  public LossCard card() {
    Map<String, String> p = new LinkedHashMap<>();
    p.put("activation_fn", "'" + IDENTITY + "'");
    p.put("pos_weight", posWeight == null ? "None" : LossCard.pythonFloat(posWeight));
    return new LossCard(CLASS_NAME, p);
  }
}
