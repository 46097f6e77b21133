package dev.quarry.spark;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;

import dev.quarry.FileTrees;
import dev.quarry.QuarryException;
import dev.quarry.encode.SentenceTransformer;
import dev.quarry.index.CorpusIndexer;
import dev.quarry.index.IndexSettings;
import dev.quarry.index.lucene.LuceneIndex;
import dev.quarry.model.BuiltinModels;
import dev.quarry.model.ModelFingerprint;
import dev.quarry.solr.SolrIndex;
import dev.quarry.solr.SolrOptions;
import dev.quarry.solr.SolrTarget;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.logging.Logger;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.storage.StorageLevel;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * Bulk encoding on Spark: a corpus table in, its embeddings out as Parquet, into a SolrCloud
 * collection, and/or into a Quarry (Lucene) index merged from per-partition indexes. Runs under
 * {@code spark-submit} on a cluster, or in {@code local[*]} from a plain {@code java -cp}.
 */
@Command(name = "quarry-spark-encode", mixinStandardHelpOptions = true,
    description = "Encode a corpus on Spark into Parquet, a SolrCloud collection or a Quarry index.")
public final class SparkEncodeJob implements Callable<Integer> {
  private static final Logger LOG = Logger.getLogger(SparkEncodeJob.class.getName());

  @Option(names = "--input", required = true, description = "BEIR corpus.jsonl, a JSONL table or a Parquet table (id or _id, title, text).")
  String input;

  @Option(names = "--model", description = "Model folder every node sees, a folder shipped with --archives (its alias), or a built-in id"
      + " (default: ${DEFAULT-VALUE}).")
  String model = BuiltinModels.defaultId();

  @Option(names = "--onnx-file", paramLabel = "NAME",
      description = "Run another ONNX file of the model folder, e.g. model_qint8_avx512_vnni.onnx from `quarry quantize`"
          + " (as quarry encode --onnx-file); the fingerprint follows the file.")
  String onnxFile;

  @Option(names = "--parquet", paramLabel = "DIR", description = "Write (id, vector, model_fingerprint) rows here.")
  String parquet;

  @Mixin SolrOptions solr = new SolrOptions();

  @Option(names = "--lucene", paramLabel = "DIR", description = "Build a Quarry index here (per-partition indexes, then IndexWriter.addIndexes).")
  String lucene;

  @Option(names = "--partitions", description = "Partitions to encode in (default: the input's, at least 2 per core).")
  Integer partitions;

  @Option(names = "--chunk", description = "Rows encoded together in a task (default: ${DEFAULT-VALUE}).")
  int chunk = 1024;

  @Option(names = "--batch-size", description = "Texts per inference (default: ${DEFAULT-VALUE}).")
  int batchSize = 32;

  @Option(names = "--master", description = "Spark master when not run by spark-submit (default: local[*]).")
  String master;

  @Option(names = "--fail-once-partition", hidden = true, description = "Test hook: fail that partition's first attempt.")
  int failOncePartition = -1;

  @Option(names = "--fail-once-in", hidden = true, split = ",",
      description = "Test hook: the stages (encode, parquet, lucene, solr) whose task for --fail-once-partition fails once, part-way.")
  List<String> failOnceIn = List.of("encode");

  private InjectedFault fault(String stage) {
    return failOncePartition >= 0 && failOnceIn.contains(stage) ? new InjectedFault(stage, failOncePartition) : InjectedFault.NONE;
  }

  /** What a run did. */
  public record Summary(long rows, double seconds, String fingerprint) {}

  public static void main(String[] args) {
    System.exit(new CommandLine(new SparkEncodeJob()).setExecutionExceptionHandler((e, cmd, parsed) -> {
      if (e instanceof QuarryException) {
        cmd.getErr().println("quarry-spark: " + e.getMessage());
        return 2;
      }
      throw e;
    }).execute(args));
  }

  @Override
  public Integer call() {
    SparkSession.Builder builder = SparkSession.builder().appName("quarry-encode");
    if (master != null) {
      builder.master(master);
    } else if (!System.getProperties().containsKey("spark.master")) {
      builder.master("local[*]"); // a plain `java -cp` run; spark-submit sets spark.master
    }
    SparkSession spark = builder.getOrCreate();
    spark.sparkContext().setLogLevel("ERROR"); // the job reports its own progress and figures
    try {
      Summary s = run(spark);
      System.out.printf(Locale.ROOT, "quarry-spark: encoded %d passages in %.1f s (%.1f passages/s) with %s (fingerprint %s)%n", s.rows(),
          s.seconds(), s.rows() / s.seconds(), onnxFile == null ? model : model + " (" + onnxFile + ")", s.fingerprint());
      return 0;
    } finally {
      spark.stop();
    }
  }

  /** Runs the job on {@code spark} (the caller owns the session). */
  public Summary run(SparkSession spark) {
    if (parquet == null && !solr.given() && lucene == null) {
      throw new QuarryException("Nothing to write: give --parquet DIR, --solr ZK --collection NAME and/or --lucene DIR.");
    }
    SolrTarget target = solr.target(null); // --solr needs --collection here: there is no dataset to name it after
    if (parquet != null && Files.exists(Path.of(parquet))) {
      throw new QuarryException(parquet + " exists; the job writes a new Parquet table (delete it or choose another --parquet).");
    }
    long start = System.nanoTime();
    SentenceTransformer driverModel = ExecutorModels.get(model, onnxFile); // the metadata; shared with tasks in local mode
    String fingerprint = ModelFingerprint.of(driverModel.folder());
    IndexSinks.Meta meta = IndexSinks.Meta.of(CorpusIndexer.metadataOf(driverModel));
    IndexSettings settings = IndexSettings.defaults();

    Dataset<Row> table = CorpusTable.read(spark, input);
    int parts = partitions != null ? partitions : Math.max(table.rdd().getNumPartitions(), 2 * spark.sparkContext().defaultParallelism());
    Dataset<Row> encoded = table.repartition(parts).mapPartitions(
        (MapPartitionsFunction<Row, Row>) new EncodePartition(model, onnxFile, chunk, batchSize,
            fault("encode").partition()),
        Encoders.row(EncodePartition.SCHEMA));
    // Several outputs share one encoding.
    encoded = encoded.persist(StorageLevel.MEMORY_AND_DISK());
    long rows = encoded.count();
    LOG.info(() -> String.format(Locale.ROOT, "encoded %d rows in %d partitions", rows, parts));
    if (parquet != null) {
      // Spark's file commit protocol keeps only the files of each task's successful attempt.
      Dataset<Row> rowsOut = fault("parquet").partition() < 0 ? encoded
          : encoded.mapPartitions(fault("parquet").afterRows(100), Encoders.row(EncodePartition.SCHEMA));
      rowsOut.select(col("id"), col("vector"), lit(fingerprint).as("model_fingerprint")).write().parquet(parquet);
    }
    if (target != null) {
      SolrIndex.open(target, meta.metadata(), settings).close(); // created (or checked) once, on the driver
      encoded.foreachPartition(IndexSinks.solr(target, meta, fault("solr")));
    }
    if (lucene != null) {
      Path partsDir = Path.of(lucene + ".parts");
      List<String> written = encoded.mapPartitions(IndexSinks.luceneParts(partsDir.toString(), meta, fault("lucene")),
          Encoders.STRING()).collectAsList();
      try (LuceneIndex index = LuceneIndex.open(Path.of(lucene), meta.metadata(), settings)) {
        index.addIndexes(written.stream().map(Path::of).toList());
        index.commit();
      }
      FileTrees.delete(partsDir);
    }
    encoded.unpersist();
    return new Summary(rows, (System.nanoTime() - start) / 1e9, fingerprint);
  }
}
