package dev.quarry.train.loss;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.index.NDIndex;
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
 * sentence-transformers' cross-encoder {@code ListNetLoss} (Cao et al. 2007): for each query, the
 * cross-entropy between the softmax of its documents' labels and the softmax of their logits,
 * averaged over the queries. Lists may differ in length; a list is scored over its own documents
 * only (sentence-transformers pads with -1e16 logits and -inf labels, which comes to the same).
 */
public final class ListNetLoss implements CrossEncoderLoss {
  static final String CLASS_NAME = "sentence_transformers.cross_encoder.losses.ListNetLoss.ListNetLoss";

  @Override
  public NDArray compute(List<RerankExample> batch, PairLogits model, Random random) {
    List<TextPair> pairs = new ArrayList<>();
    for (RerankExample row : batch) {
      row.documents().forEach(d -> pairs.add(new TextPair(row.query(), d)));
    }
    NDArray logits = model.of(pairs);
    NDArray total = null;
    int offset = 0;
    for (RerankExample row : batch) {
      int n = row.documents().size();
      NDArray logProbs = logits.get(new NDIndex(offset + ":" + (offset + n))).logSoftmax(0);
      NDArray term = logProbs.mul(NativeArrays.of(logits.getManager(), softmax(row.labels()), logProbs.getShape())).sum().neg();
      total = total == null ? term : total.add(term);
      offset += n;
    }
    return NativeArrays.mul(total, 1.0 / batch.size());
  }

  /** The target distribution: softmax of the labels, in doubles. */
  static float[] softmax(List<Double> labels) {
    double max = labels.stream().mapToDouble(Double::doubleValue).max().orElse(0);
    double sum = 0;
    double[] e = new double[labels.size()];
    for (int i = 0; i < e.length; i++) {
      e[i] = Math.exp(labels.get(i) - max);
      sum += e[i];
    }
    float[] out = new float[e.length];
    for (int i = 0; i < e.length; i++) {
      out[i] = (float) (e[i] / sum);
    }
    return out;
  }

  @Override
  public void check(List<RerankExample> rows) {
    for (RerankExample r : rows) {
      if (r.documents().size() < 2) {
        throw new QuarryException(r.source() + ": ListNetLoss ranks a list of documents per query, and this row has "
            + r.documents().size() + ". Give (query, positive, negatives...) rows, or labelled pairs of the same query.");
      }
      for (double l : r.labels()) {
        if (!Double.isFinite(l)) {
          throw new QuarryException(r.source() + ": label " + l + " is not a number.");
        }
      }
    }
  }

  @Override
  public LossCard card() {
    Map<String, String> p = new LinkedHashMap<>();
    p.put("activation_fn", "'" + IDENTITY + "'");
    p.put("mini_batch_size", "None");
    return new LossCard(CLASS_NAME, p);
  }
}
