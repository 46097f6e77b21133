package dev.quarry.bench;

import com.fasterxml.jackson.databind.JsonNode;
import dev.quarry.encode.EncodeOptions;
import dev.quarry.encode.RuntimeOptions;
import dev.quarry.encode.SentenceTransformer;
import dev.quarry.io.Json;
import dev.quarry.model.BuiltinModels;
import dev.quarry.model.ModelFolder;
import dev.quarry.model.ModelResolver;
import dev.quarry.similarity.SimilarityFunction;
import dev.quarry.tokenize.TextTokenizer;
import dev.quarry.train.export.OnnxQuantizer;
import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Quarry vs LangChain4j's in-process {@code AllMiniLmL6V2EmbeddingModel.embedAll} on SciFact
 * passages and queries, in one run: the peer in its own JVM (its own ONNX Runtime and DJL),
 * alternating with Quarry, medians over the repetitions, with the fp32 GEMM peak measured in the
 * same run to put both in perspective.
 *
 * <p>Usage: {@code EncodeBenchmark [SCIFACT_DIR] [PASSAGES=2000] [REPS=3]}.
 */
public final class EncodeBenchmark {
  static final String MODEL = BuiltinModels.defaultId();
  /** LangChain4j's tokenizer.json truncates at 128 tokens; Quarry is compared at the same length. */
  static final int PEER_MAX_LENGTH = 128;

  public static void main(String[] args) throws Exception {
    Path dataset = Path.of(args.length > 0 ? args[0] : "../shared/datasets/scifact");
    int maxPassages = args.length > 1 ? Integer.parseInt(args[1]) : 2000;
    int reps = args.length > 2 ? Integer.parseInt(args[2]) : 3;
    int threads = Runtime.getRuntime().availableProcessors();
    if (!Files.isDirectory(dataset)) {
      System.err.println("SciFact not found at " + dataset + " (pass the folder as first argument)");
      System.exit(2);
    }
    SciFactTexts texts = SciFactTexts.load(dataset, maxPassages);
    ModelFolder folder = ModelResolver.defaults().resolve(MODEL);
    EncoderFlops flops = EncoderFlops.of(folder.root().resolve("config.json"));
    Path work = Files.createTempDirectory("quarry-bench");
    Path passagesFile = work.resolve("passages.json");
    Path queriesFile = work.resolve("queries.json");
    Json.writer().writeValue(passagesFile.toFile(), texts.passages());
    Json.writer().writeValue(queriesFile.toFile(), texts.queries());

    System.out.printf(Locale.ROOT, "Machine: %d cores, %s %s, Java %s%n", threads, System.getProperty("os.arch"),
        System.getProperty("os.name"), System.getProperty("java.version"));
    System.out.printf(Locale.ROOT, "Texts: %d SciFact passages (title + text), %d queries; model %s; %d repetitions%n",
        texts.passages().size(), texts.queries().size(), MODEL, reps);
    double peak = Math.max(GemmPeak.measure(2048, threads, 5), GemmPeak.measure(4096, threads, 3));
    System.out.printf(Locale.ROOT, "fp32 GEMM peak (ONNX Runtime MatMul, 2048² and 4096², %d threads): %.0f GFLOP/s%n%n", threads, peak);

    Work passages128 = Work.of(folder, texts.passages(), PEER_MAX_LENGTH, flops);
    Work queries128 = Work.of(folder, texts.queries(), PEER_MAX_LENGTH, flops);
    Work passagesFull = Work.of(folder, texts.passages(), folder.maxSeqLength(), flops);

    Map<String, SentenceTransformer> variants = new LinkedHashMap<>();
    variants.put("Quarry (concurrent batches)", SentenceTransformer.load(folder, RuntimeOptions.defaults().withConcurrentBatches(true)));
    variants.put("Quarry (intra-op threads)", SentenceTransformer.load(folder, RuntimeOptions.defaults().withConcurrentBatches(false)));
    // int8, written fresh each run in both forms (a cached file could be of an older form).
    Path onnx = folder.root().resolve("onnx");
    OnnxQuantizer.quantize(folder.onnxFile(), onnx.resolve("bench_qint8_matmulinteger.onnx"), true, OnnxQuantizer.Form.MATMUL_INTEGER);
    OnnxQuantizer.quantize(folder.onnxFile(), onnx.resolve("bench_qint8_dqmm.onnx"), true, OnnxQuantizer.Form.DYNAMIC_QUANTIZE_MATMUL);
    ModelFolder int8 = folder.withOnnxFile("bench_qint8_matmulinteger.onnx");
    variants.put("Quarry qint8 (concurrent)", SentenceTransformer.load(int8, RuntimeOptions.defaults().withConcurrentBatches(true)));
    variants.put("Quarry qint8 (intra-op)", SentenceTransformer.load(int8, RuntimeOptions.defaults().withConcurrentBatches(false)));
    // The contrib-operator form, for the comparison of the two.
    variants.put("Quarry qint8 DynQuantMatMul (conc.)",
        SentenceTransformer.load(folder.withOnnxFile("bench_qint8_dqmm.onnx"), RuntimeOptions.defaults().withConcurrentBatches(true)));

    checkEqualOutputs(variants.values().iterator().next(), passagesFile, texts.passages(), work);

    Map<String, List<Double>> seconds = new LinkedHashMap<>();
    for (int rep = 0; rep < reps; rep++) {
      JsonNode peer = runPeer("time", passagesFile.toString(), queriesFile.toString());
      add(seconds, "LangChain4j passages", peer.get("passages_s").asDouble());
      add(seconds, "LangChain4j queries", peer.get("queries_s").asDouble());
      for (Map.Entry<String, SentenceTransformer> v : variants.entrySet()) {
        SentenceTransformer m = v.getValue();
        if (rep == 0) {
          m.encode(texts.passages().subList(0, 64), EncodeOptions.defaults().withMaxLength(PEER_MAX_LENGTH));
        }
        add(seconds, v.getKey() + " passages", time(() -> m.encode(texts.passages(), EncodeOptions.defaults().withMaxLength(PEER_MAX_LENGTH))));
        add(seconds, v.getKey() + " queries", time(() -> m.encode(texts.queries(), EncodeOptions.defaults().withMaxLength(PEER_MAX_LENGTH))));
        add(seconds, v.getKey() + " passages@" + folder.maxSeqLength(), time(() -> m.encode(texts.passages())));
      }
      System.err.printf(Locale.ROOT, "repetition %d/%d done%n", rep + 1, reps);
    }

    double lcP = median(seconds.get("LangChain4j passages"));
    double lcQ = median(seconds.get("LangChain4j queries"));
    String fmt = "%-36s %-20s %10s %9s %8s %9s%n";
    System.out.printf(Locale.ROOT, fmt, "engine", "texts (max tokens)", "texts/s", "GFLOP/s", "% peak", "vs LC4j");
    row(fmt, "LangChain4j embedAll", "passages (128)", passages128, lcP, peak, lcP);
    for (String v : variants.keySet()) {
      row(fmt, v, "passages (128)", passages128, median(seconds.get(v + " passages")), peak, lcP);
    }
    row(fmt, "LangChain4j embedAll", "queries (128)", queries128, lcQ, peak, lcQ);
    for (String v : variants.keySet()) {
      row(fmt, v, "queries (128)", queries128, median(seconds.get(v + " queries")), peak, lcQ);
    }
    for (String v : variants.keySet()) {
      row(fmt, v, "passages (" + folder.maxSeqLength() + ")", passagesFull,
          median(seconds.get(v + " passages@" + folder.maxSeqLength())), peak, Double.NaN);
    }
    System.out.println();
    for (String kind : List.of(" passages", " queries", " passages@" + folder.maxSeqLength())) {
      double best32 = Math.min(median(seconds.get("Quarry (concurrent batches)" + kind)), median(seconds.get("Quarry (intra-op threads)" + kind)));
      double best8 = Math.min(median(seconds.get("Quarry qint8 (concurrent)" + kind)), median(seconds.get("Quarry qint8 (intra-op)" + kind)));
      String vsPeer = kind.equals(" passages") ? String.format(Locale.ROOT, ", %.2fx LangChain4j", lcP / best8)
          : kind.equals(" queries") ? String.format(Locale.ROOT, ", %.2fx LangChain4j", lcQ / best8) : "";
      System.out.printf(Locale.ROOT, "qint8 vs fp32,%s: %.2fx (best of each)%s; MatMulInteger form vs DynamicQuantizeMatMul (concurrent): %.2fx%n",
          kind, best32 / best8, vsPeer,
          median(seconds.get("Quarry qint8 DynQuantMatMul (conc.)" + kind)) / median(seconds.get("Quarry qint8 (concurrent)" + kind)));
    }
    System.out.printf(Locale.ROOT, "%nMedians of %d runs. Token counts: passages %.0f avg (%.0f at 128), queries %.1f avg.%n",
        reps, passagesFull.avgTokens(), passages128.avgTokens(), queries128.avgTokens());
    System.out.println("LangChain4j cannot produce max-length-" + folder.maxSeqLength() + " embeddings (its tokenizer truncates at 128).");
    System.out.println("Raw seconds: " + seconds);
    variants.values().forEach(SentenceTransformer::close);
    Files.deleteIfExists(onnx.resolve("bench_qint8_matmulinteger.onnx")); // not variants a user made
    Files.deleteIfExists(onnx.resolve("bench_qint8_dqmm.onnx"));
  }

  /** LangChain4j and Quarry must agree before their speed is compared. */
  private static void checkEqualOutputs(SentenceTransformer quarry, Path textsFile, List<String> texts, Path work) throws Exception {
    Path out = work.resolve("peer.f32");
    runPeerRaw("dump", textsFile.toString(), out.toString());
    float[][] peer;
    try (DataInputStream in = new DataInputStream(new BufferedInputStream(Files.newInputStream(out)))) {
      int n = in.readInt();
      int dim = in.readInt();
      peer = new float[n][dim];
      for (float[] row : peer) {
        for (int d = 0; d < dim; d++) {
          row[d] = in.readFloat();
        }
      }
    }
    float[][] ours = quarry.encode(texts, EncodeOptions.defaults().withMaxLength(PEER_MAX_LENGTH)).floats();
    double min = 1;
    for (int i = 0; i < ours.length; i++) {
      min = Math.min(min, SimilarityFunction.COSINE.score(ours[i], peer[i]));
    }
    System.out.printf(Locale.ROOT, "Equal outputs at %d tokens: min cosine(Quarry, LangChain4j) over %d passages = %.6f %s%n%n",
        PEER_MAX_LENGTH, ours.length, min, min >= 0.9999 ? "(>= 0.9999, OK)" : "(BELOW 0.9999: timings not comparable)");
    if (min < 0.9999) {
      throw new IllegalStateException("outputs differ; refusing to compare speed");
    }
  }

  private static JsonNode runPeer(String... args) throws Exception {
    return Json.reader().readTree(runPeerRaw(args));
  }

  private static String runPeerRaw(String... args) throws Exception {
    Path jar = Path.of("quarry-bench-langchain4j/target/quarry-bench-langchain4j.jar");
    if (!Files.exists(jar)) {
      throw new IllegalStateException(jar + " missing: build with `mvn install -DskipTests` first");
    }
    String java = ProcessHandle.current().info().command().orElse("java");
    List<String> cmd = new ArrayList<>(List.of(java, "-Xmx4g", "-jar", jar.toString()));
    cmd.addAll(Arrays.asList(args));
    Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (p.waitFor() != 0) {
      throw new IllegalStateException("LangChain4j peer failed: " + cmd);
    }
    return out.strip();
  }

  private static void row(String fmt, String engine, String what, Work w, double secs, double peak, double peerSecs) {
    double gflops = w.flops() / secs / 1e9;
    System.out.printf(Locale.ROOT, fmt, engine, what, String.format(Locale.ROOT, "%.1f", w.count() / secs), String.format(Locale.ROOT, "%.0f", gflops),
        String.format(Locale.ROOT, "%.0f%%", 100 * gflops / peak), Double.isNaN(peerSecs) ? "-" : String.format(Locale.ROOT, "%.2fx", peerSecs / secs));
  }

  private static double time(Runnable r) {
    long t0 = System.nanoTime();
    r.run();
    return (System.nanoTime() - t0) / 1e9;
  }

  private static void add(Map<String, List<Double>> m, String k, double v) {
    m.computeIfAbsent(k, x -> new ArrayList<>()).add(v);
  }

  static double median(List<Double> xs) {
    double[] s = xs.stream().mapToDouble(Double::doubleValue).sorted().toArray();
    return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
  }

  /** A text set's size and useful FLOPs at one truncation length. */
  record Work(int count, double flops, double avgTokens) {
    static Work of(ModelFolder folder, List<String> texts, int maxLength, EncoderFlops f) {
      try (TextTokenizer tok = new TextTokenizer(folder.tokenizerFile(), maxLength, folder.doLowerCase())) {
        double flops = 0;
        long tokens = 0;
        for (var t : tok.encodeAll(texts)) {
          flops += f.forText(t.length());
          tokens += t.length();
        }
        return new Work(texts.size(), flops, (double) tokens / texts.size());
      }
    }
  }
}
