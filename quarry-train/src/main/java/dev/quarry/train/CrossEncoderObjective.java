package dev.quarry.train;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.training.GradientCollector;
import dev.quarry.Digests;
import dev.quarry.QuarryException;
import dev.quarry.train.bert.BertEncoder;
import dev.quarry.train.examples.NoDuplicatesBatchSampler;
import dev.quarry.train.examples.RerankExample;
import dev.quarry.train.loss.CrossEncoderLoss;
import dev.quarry.train.network.TrainableCrossEncoder;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * A cross-encoder's objective, as sentence-transformers' {@code CrossEncoderTrainer} runs it: rows
 * shaped for the loss (single labelled pairs for BCE, whole rows for MNRL and ListNet), batches
 * shuffled by (seed, epoch) (without repeated texts where the loss draws in-batch negatives), the
 * loss on the pairs' logits, and the reranking evaluation.
 */
public final class CrossEncoderObjective implements TrainingObjective {
  private final TrainableCrossEncoder model;
  private final List<RerankExample> rows;
  private final CrossEncoderLoss loss;
  private final RerankingEvaluation evaluation;
  private final int batchSize;
  private final long seed;
  private final NoDuplicatesBatchSampler distinct;

  /** @param evaluation the reranking evaluation during training, or null */
  public CrossEncoderObjective(TrainableCrossEncoder model, List<RerankExample> rows, TrainingArguments args, CrossEncoderLoss loss,
      RerankingEvaluation evaluation) {
    if (model.numLabels() != 1) {
      throw new QuarryException(loss.card().simpleName() + " trains a cross-encoder of one label; " + model.modelId() + " has "
          + model.numLabels() + ".");
    }
    this.model = model;
    this.rows = shape(rows, loss);
    loss.check(this.rows);
    this.loss = loss;
    this.evaluation = evaluation;
    this.batchSize = args.batchSize();
    this.seed = args.seed();
    this.distinct = loss.needsDistinctTexts()
        ? new NoDuplicatesBatchSampler(this.rows.stream().map(RerankExample::asTuple).toList(), batchSize, false, seed) : null;
  }

  /** BCE trains on single labelled pairs; the other losses on whole rows, labelled pairs gathered by query. */
  static List<RerankExample> shape(List<RerankExample> rows, CrossEncoderLoss loss) {
    if (loss.pairwise()) {
      return rows.stream().flatMap(r -> r.pairs().stream()).toList();
    }
    if (rows.stream().allMatch(r -> r.documents().size() == 1) && rows.stream().anyMatch(r -> r.labels().get(0) == 0.0)) {
      Map<String, List<RerankExample>> byQuery = new LinkedHashMap<>();
      rows.forEach(r -> byQuery.computeIfAbsent(r.query(), q -> new ArrayList<>()).add(r));
      List<RerankExample> grouped = new ArrayList<>();
      byQuery.forEach((q, rs) -> grouped.add(new RerankExample(q, rs.stream().map(r -> r.documents().get(0)).toList(),
          rs.stream().map(r -> r.labels().get(0)).toList(), rs.get(0).source())));
      return grouped;
    }
    return rows;
  }

  @Override
  public String modelId() {
    return model.modelId();
  }

  @Override
  public BertEncoder network() {
    return model.encoder();
  }

  @Override
  public int rows() {
    return rows.size();
  }

  @Override
  public List<List<Integer>> batches(int epoch) {
    if (distinct != null) {
      return distinct.batches(epoch);
    }
    List<Integer> order = new ArrayList<>();
    for (int i = 0; i < rows.size(); i++) {
      order.add(i);
    }
    Collections.shuffle(order, new Random(seed * 1_000_003L + epoch));
    List<List<Integer>> out = new ArrayList<>();
    for (int s = 0; s < order.size(); s += batchSize) {
      out.add(order.subList(s, Math.min(order.size(), s + batchSize)));
    }
    return out;
  }

  @Override
  public double forwardBackward(List<Integer> batch, long stepSeed) {
    List<RerankExample> b = batch.stream().map(rows::get).toList();
    try (NDManager sm = NDManager.newBaseManager("PyTorch");
        GradientCollector collector = Engine.getEngine("PyTorch").newGradientCollector()) {
      NDArray l = loss.compute(b, pairs -> model.logits(sm, pairs, true).get(new NDIndex(":, 0")), new Random(stepSeed));
      collector.backward(l);
      return l.getFloat();
    }
  }

  /** SHA-256 of the rows (texts and labels) and the loss with its parameters. */
  @Override
  public String fingerprint() {
    MessageDigest md = Digests.sha256();
    update(md, loss.card().className() + loss.card().parametersRepr());
    for (RerankExample r : rows) {
      update(md, r.query());
      for (int i = 0; i < r.documents().size(); i++) {
        update(md, r.documents().get(i));
        update(md, Double.toString(r.labels().get(i)));
      }
      md.update((byte) 0);
    }
    return HexFormat.of().formatHex(md.digest());
  }

  private static void update(MessageDigest md, String text) {
    byte[] b = text.getBytes(StandardCharsets.UTF_8);
    md.update(ByteBuffer.allocate(4).putInt(b.length).array());
    md.update(b);
  }

  @Override
  public boolean evaluates() {
    return evaluation != null;
  }

  @Override
  public Map<String, Double> evaluate(boolean untouched, Path scratch, int batchSize, TrainingListener listener) {
    return evaluation.evaluate(model, scratch);
  }
}
