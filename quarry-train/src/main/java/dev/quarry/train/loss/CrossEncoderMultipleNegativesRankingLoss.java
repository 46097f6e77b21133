package dev.quarry.train.loss;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import dev.quarry.QuarryException;
import dev.quarry.rerank.TextPair;
import dev.quarry.train.bert.NativeArrays;
import dev.quarry.train.examples.RerankExample;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * sentence-transformers' cross-encoder {@code MultipleNegativesRankingLoss}: for each query of the
 * batch, its positive must outscore its own hard negatives and {@code num_negatives} documents drawn
 * from the other rows of the batch (their positives and negatives). Each (query, candidate) pair is
 * scored, the logits go through Sigmoid and are multiplied by {@code scale}, and the loss is the
 * cross-entropy with the positive as the label.
 *
 * <p>Rows are (query, positive, negatives...) with the same number of negatives. The in-batch
 * draw is uniform without replacement among the other rows' documents; sentence-transformers draws
 * with torch's generator, so the same batch may meet other in-batch negatives there.
 */
public final class CrossEncoderMultipleNegativesRankingLoss implements CrossEncoderLoss {
  static final String CLASS_NAME = "sentence_transformers.cross_encoder.losses.MultipleNegativesRankingLoss.MultipleNegativesRankingLoss";
  private final int numNegatives;
  private final double scale;

  /** @param numNegatives in-batch negatives per query; negative for all of them */
  public CrossEncoderMultipleNegativesRankingLoss(int numNegatives, double scale) {
    this.numNegatives = numNegatives;
    this.scale = scale;
  }

  /** sentence-transformers' defaults: 4 in-batch negatives, scale 10. */
  public static CrossEncoderMultipleNegativesRankingLoss defaults() {
    return new CrossEncoderMultipleNegativesRankingLoss(4, 10);
  }

  @Override
  public NDArray compute(List<RerankExample> batch, PairLogits model, Random random) {
    int b = batch.size();
    int columns = batch.get(0).documents().size();
    // The candidates flattened column by column, as sentence-transformers does: index c * b + row.
    List<String> flat = new ArrayList<>();
    for (int c = 0; c < columns; c++) {
      for (RerankExample r : batch) {
        flat.add(r.documents().get(c));
      }
    }
    List<List<String>> inBatch = inBatchNegatives(flat, b, columns, random);
    List<TextPair> pairs = new ArrayList<>();
    // Column order: the positives, the in-batch negatives, then each column of hard negatives.
    List<List<String>> order = new ArrayList<>();
    order.add(batch.stream().map(r -> r.documents().get(0)).toList());
    order.addAll(inBatch);
    for (int c = 1; c < columns; c++) {
      int col = c;
      order.add(batch.stream().map(r -> r.documents().get(col)).toList());
    }
    for (List<String> column : order) {
      for (int i = 0; i < b; i++) {
        pairs.add(new TextPair(batch.get(i).query(), column.get(i)));
      }
    }
    NDArray logits = model.of(pairs).reshape(order.size(), b).transpose(); // [b, candidates]
    NDArray scores = NativeArrays.mul(Activation.sigmoid(logits), scale);
    NDArray labels = scores.getManager().zeros(new Shape(b, 1), DataType.INT64);
    return scores.logSoftmax(1).gather(labels, 1).mean().neg();
  }

  /** For each in-batch draw k, the document each query meets: a column of {@code b}. */
  private List<List<String>> inBatchNegatives(List<String> flat, int b, int columns, Random random) {
    int allowed = (b - 1) * columns; // every candidate of the other rows
    boolean all = numNegatives < 0 || numNegatives >= flat.size(); // sentence-transformers' rule: then no draw at all
    int draws = all ? allowed : Math.min(numNegatives, allowed);
    List<List<String>> out = new ArrayList<>();
    for (int k = 0; k < draws; k++) {
      out.add(new ArrayList<>());
    }
    for (int row = 0; row < b; row++) {
      List<Integer> options = new ArrayList<>();
      for (int idx = 0; idx < flat.size(); idx++) {
        if (idx % b != row) {
          options.add(idx);
        }
      }
      for (int k = 0; k < draws; k++) {
        if (!all) { // a partial Fisher-Yates shuffle: k distinct draws
          Collections.swap(options, k, k + random.nextInt(options.size() - k));
        }
        out.get(k).add(flat.get(options.get(k)));
      }
    }
    return out;
  }

  @Override
  public void check(List<RerankExample> rows) {
    int columns = rows.isEmpty() ? 0 : rows.get(0).documents().size();
    for (RerankExample r : rows) {
      if (r.documents().size() != columns) {
        throw new QuarryException(r.source() + ": " + (r.documents().size() - 1) + " negatives, but the first row has "
            + (columns - 1) + "; MultipleNegativesRankingLoss stacks negatives column by column, so every row needs as many.");
      }
      for (int i = 0; i < r.labels().size(); i++) {
        if (r.labels().get(i) != (i == 0 ? 1.0 : 0.0)) {
          throw new QuarryException(r.source() + ": MultipleNegativesRankingLoss takes (query, positive, negatives...) rows;"
              + " this row is labelled " + r.labels() + ". Use --loss bce or --loss listnet for labelled pairs.");
        }
      }
    }
  }

  @Override
  public boolean needsDistinctTexts() {
    return true;
  }

  @Override
  public LossCard card() {
    Map<String, String> p = new LinkedHashMap<>();
    p.put("scale", LossCard.pythonFloat(scale));
    p.put("num_negatives", numNegatives < 0 ? "None" : Integer.toString(numNegatives));
    p.put("activation_fn", "'" + SIGMOID + "'");
    return new LossCard(CLASS_NAME, p);
  }
}
