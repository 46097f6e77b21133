package dev.quarry.bench;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;
import dev.quarry.data.BeirDataset;
import dev.quarry.inference.BertConfig;
import dev.quarry.inference.BertWeights;
import dev.quarry.io.Json;
import dev.quarry.model.BuiltinModels;
import dev.quarry.model.ModelFolder;
import dev.quarry.model.ModelResolver;
import dev.quarry.train.Trainer;
import dev.quarry.train.TrainingArguments;
import dev.quarry.train.TrainingLog;
import dev.quarry.train.examples.NoDuplicatesBatchSampler;
import dev.quarry.train.examples.TrainingData;
import dev.quarry.train.examples.TrainingExample;
import dev.quarry.train.network.TrainableSentenceTransformer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Time of one MultipleNegativesRankingLoss training step (forward, backward, clipping, AdamW) at
 * batch 16 with ~16-token queries and 150-token passages, for all-MiniLM-L6-v2 and for the
 * reference architecture's size (BERT-base, 768-d, 12 layers; random weights: speed does not
 * depend on the values). Prints s/step, achieved GFLOP/s against libtorch's own GEMM peak measured
 * in the same run, and the process's peak resident memory.
 *
 * <p>Usage: {@code java -cp quarry-bench.jar dev.quarry.bench.TrainStepBenchmark <beir-dir> [steps] [minilm]}
 * (run it with jemalloc preloaded, as ./quarry does).
 */
public final class TrainStepBenchmark {
  private TrainStepBenchmark() {}

  public static void main(String[] args) throws Exception {
    Path data = Path.of(args.length > 0 ? args[0] : "../shared/datasets/scifact");
    int steps = args.length > 1 ? Integer.parseInt(args[1]) : 8;
    BeirDataset ds = BeirDataset.load(data, "train", true);
    List<TrainingExample> rows = new ArrayList<>();
    for (TrainingExample r : TrainingData.fromBeir(ds)) {
      rows.add(r);
    }
    double peak = gemmPeak(); // also loads libtorch
    System.out.printf(Locale.ROOT, "LD_PRELOAD=%s MALLOC_CONF=%s, libtorch threads: %d%n", System.getenv("LD_PRELOAD"),
        System.getenv("MALLOC_CONF"), JniUtils.getNumThreads());
    System.out.printf(Locale.ROOT, "libtorch fp32 GEMM peak (2048², DJL matMul): %.0f GFLOP/s%n%n", peak);
    System.out.printf(Locale.ROOT, "%-34s %8s %8s %9s %9s %8s %12s%n", "model", "q tok", "p tok", "s/step", "GFLOP/s", "% peak", "peak RSS");
    ModelFolder minilm = ModelResolver.defaults().resolve(BuiltinModels.defaultId()).withMaxSeqLength(150);
    run("all-MiniLM-L6-v2 (384-d, 6 layers)", minilm, null, rows, steps, peak);
    if (args.length > 2 && args[2].equals("minilm")) {
      return; // the BERT-base row takes minutes
    }
    BertConfig base = new BertConfig(30522, 768, 12, 12, 3072, 512, 2, 1e-12, "gelu", 0.1, 0.1);
    ModelFolder bertBase = bertBaseFolder(minilm, base).withMaxSeqLength(150);
    run("BERT-base, random (768-d, 12 layers)", bertBase, BertWeights.random(base, 1), rows, steps, peak);
  }

  private static void run(String name, ModelFolder folder, BertWeights weights, List<TrainingExample> rows, int steps,
      double peak) throws Exception {
    TrainingArguments args = TrainingArguments.builder().maxSteps(steps + 2).warmupSteps(0)
        .evalSteps(0).evalBeforeTraining(false).checkpointSteps(-1).build();
    Path work = Files.createTempDirectory("quarry-train-bench");
    try (NDManager m = NDManager.newBaseManager("PyTorch");
        TrainableSentenceTransformer model = TrainableSentenceTransformer.load(folder, m, weights)) {
      // The configuration of the target: queries of about 16 word-pieces, passages cut at 150.
      List<TrainingExample> picked = rows.stream()
          .filter(r -> model.tokenizer().encode(r.anchor()).length() <= 18)
          .filter(r -> model.tokenizer().encode(r.positive()).length() >= 150).toList();
      rows = picked;
      Trainer trainer = new Trainer(model, rows, args, null, work, null);
      Trainer.Result r = trainer.train(Trainer.Start.FRESH);
      List<TrainingLog.StepRecord> timed = r.log().steps().subList(2, r.log().steps().size());
      double secs = timed.stream().mapToDouble(TrainingLog.StepRecord::seconds).average().orElseThrow();
      // Tokens of the batches actually timed (the sampler's order), for the FLOP count.
      List<List<Integer>> batches = new NoDuplicatesBatchSampler(rows, args.batchSize(), false, args.seed()).batches(0);
      double flops = 0;
      long qTok = 0;
      long pTok = 0;
      int texts = 0;
      for (List<Integer> b : batches.subList(2, 2 + steps)) {
        int qMax = 0;
        int pMax = 0;
        for (int i : b) {
          qMax = Math.max(qMax, model.tokenizer().encode(rows.get(i).anchor()).length());
          pMax = Math.max(pMax, model.tokenizer().encode(rows.get(i).positive()).length());
        }
        qTok += (long) qMax * b.size();
        pTok += (long) pMax * b.size();
        texts += b.size();
        // Padded batches compute every position: forward FLOPs at the batch's longest text, x3 for training.
        flops += 3 * b.size() * (forwardFlops(model.config(), qMax) + forwardFlops(model.config(), pMax));
      }
      double gflops = flops / steps / secs / 1e9;
      System.out.printf(Locale.ROOT, "%-34s %8.1f %8.1f %9.3f %9.0f %7.0f%% %9.2f GB%n", name, (double) qTok / texts,
          (double) pTok / texts, secs, gflops, 100 * gflops / peak, peakRssGb());
    }
  }

  /** 2·(weights)·tokens for the dense layers plus the two attention products, per text. */
  static double forwardFlops(BertConfig c, int tokens) {
    double h = c.hiddenSize();
    double perLayer = 2 * tokens * (4 * h * h + 2 * h * c.intermediateSize()) + 4.0 * tokens * tokens * h;
    return c.numHiddenLayers() * perLayer;
  }

  private static double gemmPeak() {
    try (NDManager m = NDManager.newBaseManager("PyTorch")) {
      int n = 2048;
      NDArray a = m.randomUniform(-1, 1, new Shape(n, n));
      NDArray b = m.randomUniform(-1, 1, new Shape(n, n));
      double best = Double.MAX_VALUE;
      for (int i = 0; i < 6; i++) {
        long t0 = System.nanoTime();
        try (NDArray c = a.matMul(b)) {
          c.getFloat(0, 0);
        }
        if (i > 0) {
          best = Math.min(best, (System.nanoTime() - t0) / 1e9);
        }
      }
      return 2.0 * n * n * n / best / 1e9;
    }
  }

  private static double peakRssGb() throws Exception {
    for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
      if (line.startsWith("VmHWM:")) {
        return Long.parseLong(line.replaceAll("\\D", "")) / 1024.0 / 1024.0;
      }
    }
    return Double.NaN;
  }

  /** A BERT-base folder: MiniLM's tokenizer (the same uncased vocabulary), mean pooling over 768-d. */
  private static ModelFolder bertBaseFolder(ModelFolder like, BertConfig c) throws Exception {
    Path dir = Files.createTempDirectory("bert-base-random");
    Json.writer().writeValue(dir.resolve("config.json").toFile(), c.toJson());
    Files.copy(like.tokenizerFile(), dir.resolve("tokenizer.json"));
    Json.writer().writeValue(dir.resolve("modules.json").toFile(), List.of(
        Map.of("idx", 0, "name", "0", "path", "", "type", "sentence_transformers.models.Transformer"),
        Map.of("idx", 1, "name", "1", "path", "1_Pooling", "type", "sentence_transformers.models.Pooling")));
    Files.createDirectories(dir.resolve("1_Pooling"));
    Json.writer().writeValue(dir.resolve("1_Pooling/config.json").toFile(),
        Map.of("word_embedding_dimension", c.hiddenSize(), "pooling_mode_mean_tokens", true));
    Json.writer().writeValue(dir.resolve("sentence_bert_config.json").toFile(), Map.of("max_seq_length", 512, "do_lower_case", false));
    return ModelFolder.readForTraining(dir, "bert-base-random");
  }
}
