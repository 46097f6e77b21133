package dev.quarry.bench;

import com.fasterxml.jackson.databind.JsonNode;
import dev.quarry.encode.RuntimeOptions;
import dev.quarry.encode.SentenceTransformer;
import dev.quarry.index.CorpusIndexer;
import dev.quarry.index.IndexSettings;
import dev.quarry.index.lucene.LuceneIndex;
import dev.quarry.io.Json;
import dev.quarry.model.BuiltinModels;
import dev.quarry.model.ModelFolder;
import dev.quarry.model.ModelResolver;
import dev.quarry.server.QuarryServer;
import dev.quarry.server.ServerConfig;
import dev.quarry.train.export.OnnxQuantizer;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * int8 against fp32 where users meet them: the same SciFact passages through {@code ./quarry encode}
 * (at 128 tokens and the model's default 256), {@code ./quarry index}, the server's
 * {@code /v1/embeddings} (one passage per request from 8 clients, so the micro-batcher forms the
 * batches) and the Spark job ({@code SparkEncodeJob --master local[*]}). The commands run as users
 * run them, each in its own JVM through the {@code quarry} launcher (or {@code java -cp} for Spark),
 * and report their own time after start-up; the JVM start is measured apart. fp32 and int8
 * alternate which runs first in each repetition; medians over repetitions.
 *
 * <p>Usage (from the repository root, after {@code mvn install -DskipTests}): {@code
 * EncodePathsBenchmark [SCIFACT_DIR] [PASSAGES=600] [REPS=2]}.
 */
public final class EncodePathsBenchmark {
  private static final String MODEL = BuiltinModels.defaultId();
  private static final String INT8 = OnnxQuantizer.DEFAULT_FILE_NAME;
  private static final int CLIENTS = 8;
  private static final Pattern ENCODED_IN = Pattern.compile("encoded \\d+ \\w+ .*?in ([0-9.]+) s");
  private static final Pattern READY_IN = Pattern.compile("ready in ([0-9.]+) s");

  private EncodePathsBenchmark() {}

  public static void main(String[] args) throws Exception {
    Path dataset = Path.of(args.length > 0 ? args[0] : "../shared/datasets/scifact");
    int count = args.length > 1 ? Integer.parseInt(args[1]) : 600;
    int reps = args.length > 2 ? Integer.parseInt(args[2]) : 2;
    Path launcher = Path.of("quarry").toAbsolutePath();
    if (!Files.isRegularFile(dataset.resolve("corpus.jsonl")) || !Files.isExecutable(launcher)) {
      System.err.println("Run from the repository root with SciFact at " + dataset + " (first argument)");
      System.exit(2);
    }
    Path work = Files.createTempDirectory("quarry-paths");
    Path corpusDir = work.resolve("corpus");
    Files.createDirectories(corpusDir);
    List<String> lines = new ArrayList<>();
    List<String> passages = new ArrayList<>();
    List<String> jsonl = new ArrayList<>();
    try (BufferedReader r = Files.newBufferedReader(dataset.resolve("corpus.jsonl"))) {
      for (String line; lines.size() < count && (line = r.readLine()) != null; ) {
        JsonNode n = Json.reader().readTree(line);
        String text = (n.path("title").asText("") + " " + n.path("text").asText("")).strip();
        lines.add(line);
        passages.add(text);
        jsonl.add(Json.writer().writeValueAsString(Map.of("id", n.get("_id").asText(), "text", text)));
      }
    }
    Files.write(corpusDir.resolve("corpus.jsonl"), lines);
    Path passagesFile = work.resolve("passages.jsonl");
    Files.write(passagesFile, jsonl);

    // The int8 file as a user makes it.
    run(List.of(launcher.toString(), "quantize", "-m", MODEL));
    ModelFolder fp32 = ModelResolver.defaults().resolve(MODEL);
    ModelFolder int8 = fp32.withOnnxFile(INT8);

    System.out.printf(Locale.ROOT, "Machine: %d cores, %s; CPU flags: %s%n", Runtime.getRuntime().availableProcessors(),
        System.getProperty("os.arch"), cpuFlags());
    System.out.printf(Locale.ROOT, "%d SciFact passages (title + text); %s; fp32 = onnx/model.onnx, int8 = onnx/%s; %d repetitions%n%n",
        count, MODEL, INT8, reps);

    Map<String, List<Double>> seconds = new LinkedHashMap<>();
    List<Double> jvmStart = new ArrayList<>();
    for (int rep = 0; rep < reps; rep++) {
      jvmStart.add(wall(() -> run(List.of(launcher.toString(), "--version"))));
      List<String> order = rep % 2 == 0 ? List.of("fp32", "int8") : List.of("int8", "fp32");
      for (String precision : order) {
        List<String> onnx = precision.equals("int8") ? List.of("--onnx-file", INT8) : List.of();
        for (int maxLength : new int[] {128, 256}) {
          List<String> cmd = new ArrayList<>(List.of(launcher.toString(), "encode", passagesFile.toString(), "-o",
              work.resolve("out.npy").toString(), "--max-length", Integer.toString(maxLength)));
          cmd.addAll(onnx);
          add(seconds, "quarry encode|" + maxLength + "|" + precision, seconds(run(cmd), ENCODED_IN));
        }
        Path indexDir = work.resolve("index-" + precision + "-" + rep);
        List<String> index = new ArrayList<>(List.of(launcher.toString(), "index", "-d", corpusDir.toString(), "--index",
            indexDir.toString()));
        index.addAll(onnx);
        add(seconds, "quarry index|256|" + precision, seconds(run(index), READY_IN));
        add(seconds, "serve /v1/embeddings|256|" + precision, serve(precision.equals("int8") ? int8 : fp32, passages, work));
        add(seconds, "Spark job|256|" + precision, spark(corpusDir.resolve("corpus.jsonl"), work.resolve("spark-" + precision + "-" + rep),
            precision.equals("int8") ? INT8 : null));
      }
      System.err.printf(Locale.ROOT, "repetition %d/%d done%n", rep + 1, reps);
    }

    String fmt = "%-24s %8s %14s %14s %11s%n";
    System.out.printf(Locale.ROOT, fmt, "path", "tokens", "fp32 pass./s", "int8 pass./s", "int8/fp32");
    for (String key : seconds.keySet()) {
      String[] k = key.split("\\|");
      if (!k[2].equals("fp32")) {
        continue;
      }
      double f = EncodeBenchmark.median(seconds.get(key));
      double q = EncodeBenchmark.median(seconds.get(k[0] + "|" + k[1] + "|int8"));
      System.out.printf(Locale.ROOT, fmt, k[0], k[1], String.format(Locale.ROOT, "%.1f", count / f),
          String.format(Locale.ROOT, "%.1f", count / q), String.format(Locale.ROOT, "%.2fx", f / q));
    }
    System.out.printf(Locale.ROOT, "%nSeconds after JVM start (each command's own report; index = encode + HNSW + BM25 + commit;"
        + " serve = %d clients, one passage per request). JVM start (./quarry --version): %.1f s median.%n", CLIENTS,
        EncodeBenchmark.median(jvmStart));
    System.out.println("Raw seconds: " + seconds);
  }

  /** The server's micro-batched path: one in-process server, 8 clients posting one passage each. */
  private static double serve(ModelFolder folder, List<String> passages, Path work) throws Exception {
    Path indexDir = Files.createTempDirectory(work, "serve-index");
    try (SentenceTransformer model = SentenceTransformer.load(folder, RuntimeOptions.defaults())) {
      LuceneIndex index = CorpusIndexer.openSynced(LuceneIndex.at(indexDir), model, Path.of("datasets", "ai-qa", "corpus.jsonl"), IndexSettings.defaults());
      QuarryServer server = QuarryServer.start(model, index, ServerConfig.defaults().withPort(0));
      try {
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        post(http, server.url(), passages.subList(0, Math.min(32, passages.size()))); // warm-up
        AtomicInteger next = new AtomicInteger();
        ExecutorService clients = Executors.newFixedThreadPool(CLIENTS);
        long t0 = System.nanoTime();
        List<Future<?>> fs = new ArrayList<>();
        for (int c = 0; c < CLIENTS; c++) {
          fs.add(clients.submit(() -> {
            for (int i; (i = next.getAndIncrement()) < passages.size(); ) {
              post(http, server.url(), List.of(passages.get(i)));
            }
            return null;
          }));
        }
        for (Future<?> f : fs) {
          f.get();
        }
        double secs = (System.nanoTime() - t0) / 1e9;
        clients.shutdown();
        return secs;
      } finally {
        server.stop();
        index.close();
      }
    }
  }

  private static void post(HttpClient http, String url, List<String> texts) throws IOException, InterruptedException {
    String body = Json.writer().writeValueAsString(Map.of("model", MODEL, "input", texts));
    HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(url + "v1/embeddings"))
        .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
        HttpResponse.BodyHandlers.ofString());
    if (r.statusCode() != 200) {
      throw new IllegalStateException("/v1/embeddings answered " + r.statusCode() + ": " + r.body());
    }
  }

  /** The Spark job as the README runs it (java -cp, local[*]), writing Parquet. */
  private static double spark(Path corpus, Path out, String onnxFile) throws Exception {
    // The java on the PATH (17 here), as the README's command: Spark 4.0's Hadoop client calls
    // Subject.getSubject, which Java 24+ refuses.
    List<String> cmd = new ArrayList<>(List.of("java", "-Xmx4g", "-Dai.djl.offline=true"));
    // The opens the README's plain-java command gives Spark 4 on Java 17+.
    for (String p : List.of("java.base/java.lang", "java.base/java.nio", "java.base/sun.nio.ch", "java.base/java.util",
        "java.base/java.lang.invoke")) {
      cmd.add("--add-opens=" + p + "=ALL-UNNAMED");
    }
    cmd.addAll(List.of("-cp", "quarry-spark/target/quarry-spark.jar:quarry-spark/target/lib/*", "dev.quarry.spark.SparkEncodeJob",
        "--input", corpus.toString(), "--model", MODEL, "--parquet", out.toString(), "--master", "local[*]"));
    if (onnxFile != null) {
      cmd.addAll(List.of("--onnx-file", onnxFile));
    }
    return seconds(run(cmd), ENCODED_IN);
  }

  private static double seconds(String output, Pattern p) {
    Matcher m = p.matcher(output);
    if (!m.find()) {
      throw new IllegalStateException("no timing (" + p + ") in the command's output:\n" + output);
    }
    return Double.parseDouble(m.group(1));
  }

  /** Runs a command, returns stdout and stderr together; fails on a non-zero exit. */
  private static String run(List<String> cmd) throws Exception {
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    StringBuilder out = new StringBuilder();
    try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
      for (String line; (line = r.readLine()) != null; ) {
        out.append(line).append('\n');
      }
    }
    if (p.waitFor() != 0) {
      throw new IllegalStateException("failed (" + p.exitValue() + "): " + String.join(" ", cmd) + "\n" + out);
    }
    return out.toString();
  }

  private interface Step {
    void run() throws Exception;
  }

  private static double wall(Step s) throws Exception {
    long t0 = System.nanoTime();
    s.run();
    return (System.nanoTime() - t0) / 1e9;
  }

  private static void add(Map<String, List<Double>> m, String k, double v) {
    m.computeIfAbsent(k, x -> new ArrayList<>()).add(v);
  }

  private static String cpuFlags() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
        if (line.startsWith("flags")) {
          List<String> of = new ArrayList<>();
          for (String f : line.substring(line.indexOf(':') + 1).trim().split(" ")) {
            if (f.startsWith("avx") || f.contains("vnni") || f.contains("bf16") || f.equals("fma")) {
              of.add(f);
            }
          }
          return String.join(" ", of);
        }
      }
    } catch (IOException e) {
      // not Linux: leave the flags out
    }
    return "unknown";
  }
}
