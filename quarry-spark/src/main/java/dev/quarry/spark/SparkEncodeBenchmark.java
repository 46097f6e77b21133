package dev.quarry.spark;

import dev.quarry.data.Corpus;
import dev.quarry.data.Document;
import dev.quarry.encode.EncodeOptions;
import dev.quarry.encode.RuntimeOptions;
import dev.quarry.encode.SentenceTransformer;
import dev.quarry.model.BuiltinModels;
import dev.quarry.model.ModelResolver;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import org.apache.spark.sql.SparkSession;

/**
 * Plain Quarry encoding against the Spark job in local[1] and local[2], on the same passages in one
 * run: passages per second, and the job's overhead per passage over in-process encoding with as many
 * threads as the job has cores.
 *
 * <p>Usage: {@code SparkEncodeBenchmark [SCIFACT_DIR] [PASSAGES=2000]}.
 */
public final class SparkEncodeBenchmark {
  private SparkEncodeBenchmark() {}

  public static void main(String[] args) throws Exception {
    Path scifact = Path.of(args.length > 0 ? args[0] : "../shared/datasets/scifact");
    int n = args.length > 1 ? Integer.parseInt(args[1]) : 2000;
    List<Document> docs = Corpus.read(scifact.resolve("corpus.jsonl")).documents().subList(0, n);
    List<String> texts = docs.stream().map(Document::fullText).toList();
    Path work = Files.createTempDirectory("quarry-spark-bench");
    Path input = work.resolve("corpus.jsonl");
    Files.write(input, Files.readAllLines(scifact.resolve("corpus.jsonl")).subList(0, n));
    String model = BuiltinModels.defaultId();

    double[] plain = new double[3];
    for (int threads : new int[] {1, 2}) {
      try (SentenceTransformer m = SentenceTransformer.load(ModelResolver.defaults().resolve(model),
          RuntimeOptions.defaults().withThreads(threads))) {
        m.encodeDocuments(texts.subList(0, 64), EncodeOptions.defaults());
        long t0 = System.nanoTime();
        m.encodeDocuments(texts, EncodeOptions.defaults());
        plain[threads] = (System.nanoTime() - t0) / 1e9;
      }
    }
    double[] job = new double[3];
    for (int cores : new int[] {1, 2}) {
      SparkSession spark = SparkSession.builder().master("local[" + cores + "]").appName("quarry-bench")
          .config("spark.ui.enabled", "false").getOrCreate();
      spark.sparkContext().setLogLevel("ERROR");
      try {
        SparkEncodeJob j = new SparkEncodeJob();
        j.input = input.toString();
        j.model = model;
        j.parquet = work.resolve("out-" + cores).toString();
        j.partitions = 2 * cores;
        job[cores] = j.run(spark).seconds();
      } finally {
        spark.stop();
      }
    }
    System.out.printf(Locale.ROOT, "%d SciFact passages (title + text, up to 256 tokens), %s, %d cores, Java %s%n", n, model,
        Runtime.getRuntime().availableProcessors(), System.getProperty("java.version"));
    String fmt = "%-44s %9s %12s %22s%n";
    System.out.printf(Locale.ROOT, fmt, "how", "seconds", "passages/s", "overhead ms/passage");
    for (int c : new int[] {1, 2}) {
      System.out.printf(Locale.ROOT, fmt, "quarry encode (in process, " + c + " thread" + (c > 1 ? "s" : "") + ")",
          String.format(Locale.ROOT, "%.1f", plain[c]), String.format(Locale.ROOT, "%.1f", n / plain[c]), "-");
    }
    for (int c : new int[] {1, 2}) {
      System.out.printf(Locale.ROOT, fmt, "Spark job, local[" + c + "] (read, encode, Parquet)",
          String.format(Locale.ROOT, "%.1f", job[c]), String.format(Locale.ROOT, "%.1f", n / job[c]),
          String.format(Locale.ROOT, "%.2f", 1000 * (job[c] - plain[c]) / n));
    }
    System.out.printf(Locale.ROOT, "per core (job, local[1]): %.1f passages/s%n", n / job[1]);
  }
}
