package dev.quarry.train;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import dev.quarry.Digests;
import dev.quarry.eval.IrResult;
import dev.quarry.similarity.SimilarityFunction;
import dev.quarry.train.bert.BertEncoder;
import dev.quarry.train.examples.NoDuplicatesBatchSampler;
import dev.quarry.train.examples.TrainingExample;
import dev.quarry.train.loss.CachedMultipleNegativesRankingLoss;
import dev.quarry.train.loss.EmbeddingLoss;
import dev.quarry.train.loss.TrainingLoss;
import dev.quarry.train.network.TrainableSentenceTransformer;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A bi-encoder's objective: no-duplicates batches of (anchor, positive, negatives...) rows, the
 * embedding loss (MNRL, cached or inside MatryoshkaLoss) on their embeddings, and the IR evaluation.
 */
public final class BiEncoderObjective implements TrainingObjective {
  private final TrainableSentenceTransformer model;
  private final List<TrainingExample> examples;
  private final EmbeddingLoss loss;
  private final CachedMultipleNegativesRankingLoss cached;
  private final TrainingEvaluation evaluation;
  private final SimilarityFunction similarity;
  private final NoDuplicatesBatchSampler sampler;

  /** @param evaluation the IR evaluation during training, or null */
  public BiEncoderObjective(TrainableSentenceTransformer model, List<TrainingExample> examples, TrainingArguments args,
      TrainingLoss trainingLoss, TrainingEvaluation evaluation) {
    this.model = model;
    this.examples = examples;
    this.loss = trainingLoss.loss();
    this.cached = trainingLoss.cached();
    this.evaluation = evaluation;
    this.similarity = args.similarity();
    this.sampler = new NoDuplicatesBatchSampler(examples, args.batchSize(), false, args.seed());
  }

  @Override
  public String modelId() {
    return model.folder().modelId();
  }

  @Override
  public BertEncoder network() {
    return model.encoder();
  }

  @Override
  public int rows() {
    return examples.size();
  }

  @Override
  public List<List<Integer>> batches(int epoch) {
    return sampler.batches(epoch);
  }

  /** Embeddings of the anchors and of the candidates (positives, then each column of negatives), the loss, its gradients. */
  @Override
  public double forwardBackward(List<Integer> batch, long seed) {
    int negatives = examples.get(0).negatives().size();
    List<String> anchors = new ArrayList<>();
    List<String> candidates = new ArrayList<>();
    for (int i : batch) {
      anchors.add(examples.get(i).anchor());
      candidates.add(examples.get(i).positive());
    }
    for (int n = 0; n < negatives; n++) {
      for (int i : batch) {
        candidates.add(examples.get(i).negatives().get(n));
      }
    }
    if (cached != null) {
      return cached.forwardBackward(model::embed, anchors, candidates, seed, true);
    }
    try (NDManager sm = NDManager.newBaseManager("PyTorch");
        GradientCollector collector = Engine.getEngine("PyTorch").newGradientCollector()) {
      NDArray a = model.embed(sm, anchors, true);
      NDArray c = model.embed(sm, candidates, true);
      NDArray l = loss.compute(a, c);
      collector.backward(l);
      return l.getFloat();
    }
  }

  /** SHA-256 of the rows' texts in order (the loss's settings are among the arguments the resume check compares). */
  @Override
  public String fingerprint() {
    MessageDigest md = Digests.sha256();
    for (TrainingExample e : examples) {
      for (String t : e.texts()) {
        byte[] b = t.getBytes(StandardCharsets.UTF_8);
        md.update(ByteBuffer.allocate(4).putInt(b.length).array());
        md.update(b);
      }
      md.update((byte) 0);
    }
    return HexFormat.of().formatHex(md.digest());
  }

  @Override
  public boolean evaluates() {
    return evaluation != null;
  }

  /** The IR metrics under the recipe's similarity. */
  @Override
  public Map<String, Double> evaluate(boolean untouched, Path scratch, int batchSize, TrainingListener listener) {
    IrResult result = evaluation.evaluate(model, untouched, scratch, batchSize, listener);
    return new LinkedHashMap<>(result.metrics().get(similarity.id()));
  }
}
