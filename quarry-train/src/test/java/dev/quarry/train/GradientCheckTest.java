package dev.quarry.train;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.GradientCollector;
import dev.quarry.inference.BertConfig;
import dev.quarry.inference.BertWeights;
import dev.quarry.io.Tensor;
import dev.quarry.train.bert.BertEncoder;
import dev.quarry.train.loss.MultipleNegativesRankingLoss;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Autograd through the whole encoder and MNRL against central finite differences, on a BERT small
 * enough that float32 differences are meaningful (2 layers, hidden 8, 2 heads).
 */
class GradientCheckTest {
  static final BertConfig TINY = new BertConfig(20, 8, 2, 2, 16, 16, 2, 1e-12, "gelu", 0.1, 0.1);

  private static double loss(BertEncoder enc, NDManager m) {
    return lossArray(enc, m).getFloat();
  }

  private static NDArray meanPool(BertEncoder enc, NDManager m, long[] ids, long[] mask) {
    Shape s = new Shape(2, 5);
    NDArray maskArr = m.create(mask, s);
    NDArray h = enc.forward(m, m.create(ids, s), m.zeros(s, ai.djl.ndarray.types.DataType.INT64), maskArr, false);
    NDArray mf = maskArr.toType(ai.djl.ndarray.types.DataType.FLOAT32, false).expandDims(-1);
    return h.mul(mf).sum(new int[] {1}).div(mf.sum(new int[] {1}));
  }

  @Test
  void gradientsMatchFiniteDifferences() {
    try (NDManager m = NDManager.newBaseManager("PyTorch")) {
      BertWeights w = BertWeights.random(TINY, 7);
      // Larger than transformers' 0.02 init, so that every weight moves the loss measurably.
      w.tensors().replaceAll((k, t) -> {
        float[] d = t.data().clone();
        java.util.Random r = new java.util.Random(k.hashCode());
        for (int i = 0; i < d.length; i++) {
          d[i] += (float) (r.nextGaussian() * 0.3);
        }
        return new Tensor(t.shape(), d);
      });
      BertEncoder enc = new BertEncoder(TINY, w, m);
      enc.setRequiresGradient(true);
      try (NDManager sm = m.newSubManager(); GradientCollector gc = Engine.getEngine("PyTorch").newGradientCollector()) {
        gc.backward(lossArray(enc, sm));
      }
      JniUtils.setGradMode(false);
      int checked = 0;
      for (String name : List.of("embeddings.word_embeddings.weight", "encoder.layer.0.attention.self.query.weight",
          "encoder.layer.0.attention.self.key.bias", "encoder.layer.1.intermediate.dense.weight",
          "encoder.layer.1.output.LayerNorm.weight", "embeddings.position_embeddings.weight")) {
        NDArray p = enc.parameters().get(name);
        float[] grad = p.getGradient().toFloatArray();
        float[] values = p.toFloatArray();
        for (int idx : new int[] {5 * 8 + 1, 3, 0}) { // row 5 of the word table is a used token
          if (idx >= values.length) {
            continue;
          }
          double h = 1e-2;
          double up = perturbed(enc, m, p, values, idx, h);
          double down = perturbed(enc, m, p, values, idx, -h);
          p.set(java.nio.FloatBuffer.wrap(values));
          double numeric = (up - down) / (2 * h);
          assertEquals(numeric, grad[idx], 2e-3 + 0.03 * Math.abs(numeric), name + "[" + idx + "]");
          checked++;
        }
      }
      assertEquals(16, checked); // 3 coordinates of each matrix, 2 of the 8-wide vectors
    }
  }

  /** Two anchors and their positives (the second of each padded), MNRL with cosine, scale 20. */
  private static NDArray lossArray(BertEncoder enc, NDManager m) {
    long[] a = {1, 5, 7, 2, 0, 1, 9, 3, 4, 2};
    long[] aMask = {1, 1, 1, 1, 0, 1, 1, 1, 1, 1};
    long[] p = {1, 11, 12, 2, 1, 13, 14, 15, 16, 2};
    return new MultipleNegativesRankingLoss(20, dev.quarry.similarity.SimilarityFunction.COSINE)
        .compute(meanPool(enc, m, a, aMask), meanPool(enc, m, p, aMask));
  }

  private static double perturbed(BertEncoder enc, NDManager m, NDArray p, float[] values, int idx, double h) {
    float[] v = values.clone();
    v[idx] += (float) h;
    p.set(java.nio.FloatBuffer.wrap(v));
    try (NDManager sm = m.newSubManager()) {
      return loss(enc, sm);
    }
  }
}
