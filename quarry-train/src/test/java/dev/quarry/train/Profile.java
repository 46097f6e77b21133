package dev.quarry.train;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.GradientCollector;
import dev.quarry.data.BeirDataset;
import dev.quarry.train.data.TrainingData;
import dev.quarry.train.data.TrainingExample;
import dev.quarry.train.loss.MultipleNegativesRankingLoss;
import dev.quarry.train.model.TrainableSentenceTransformer;
import dev.quarry.train.optim.AdamW;
import dev.quarry.train.optim.GradientClipping;
import java.nio.file.Path;
import java.util.List;

public class Profile {
  public static void main(String[] a) {
    int maxLen = Integer.parseInt(a[0]);
    List<TrainingExample> rows = TrainingData.fromBeir(BeirDataset.load(Path.of("/work/shared/datasets/scifact"), "train", true));
    try (NDManager m = NDManager.newBaseManager("PyTorch");
        TrainableSentenceTransformer model = TrainableSentenceTransformer.load(TestModels.folder(TestModels.MINILM).withMaxSeqLength(maxLen), m)) {
      model.encoder().setRequiresGradient(true);
      AdamW opt = new AdamW(model.encoder().parameters(), 0.9, 0.999, 1e-6, 0.01, false, AdamW.SENTENCE_TRANSFORMERS_DECAY);
      MultipleNegativesRankingLoss loss = new MultipleNegativesRankingLoss(20, MultipleNegativesRankingLoss.Similarity.DOT);
      for (int it = 0; it < 6; it++) {
        List<TrainingExample> b = rows.subList(it * 16, it * 16 + 16);
        long t0 = System.nanoTime(), t1, t2, t3, t4;
        try (NDManager sm = NDManager.newBaseManager("PyTorch");
            GradientCollector gc = Engine.getEngine("PyTorch").newGradientCollector()) {
          NDArray q = model.embed(sm, b.stream().map(TrainingExample::anchor).toList(), true);
          t1 = System.nanoTime();
          NDArray p = model.embed(sm, b.stream().map(TrainingExample::positive).toList(), true);
          NDArray l = loss.compute(q, p);
          t2 = System.nanoTime();
          gc.backward(l);
          t3 = System.nanoTime();
        }
        GradientClipping.clipGlobalNorm(model.encoder().parameters().values(), 1.0);
        opt.step(1e-5);
        opt.zeroGradients();
        t4 = System.nanoTime();
        System.out.printf("fwd q %.3f  fwd p %.3f  bwd %.3f  clip+adam %.3f  total %.3f%n", (t1 - t0) / 1e9, (t2 - t1) / 1e9,
            (t3 - t2) / 1e9, (t4 - t3) / 1e9, (t4 - t0) / 1e9);
      }
    }
  }
}
