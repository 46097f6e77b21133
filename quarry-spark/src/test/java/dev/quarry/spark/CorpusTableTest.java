package dev.quarry.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import com.google.protobuf.ByteString;
import dev.quarry.QuarryException;
import dev.quarry.TestModels;
import dev.quarry.encode.EncodeOptions;
import dev.quarry.encode.RuntimeOptions;
import dev.quarry.encode.SentenceTransformer;
import dev.quarry.inference.OnnxWeights;
import dev.quarry.model.ModelFingerprint;
import dev.quarry.model.ModelFolder;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The job's inputs: a Parquet table with an id column, and JSONL it must refuse before encoding anything. */
@Tag("slow")
class CorpusTableTest {
  static final Path AI_QA = Path.of("..", "datasets", "ai-qa", "corpus.jsonl");
  @TempDir static Path tmp;
  static SparkSession spark;

  @BeforeAll
  static void start() {
    spark = SparkSession.builder().master("local[2]").appName("quarry-test").config("spark.ui.enabled", "false").getOrCreate();
  }

  @AfterAll
  static void stop() {
    spark.stop();
  }

  @Test
  void aParquetTableWithAnIdColumnIsEncoded() {
    String table = tmp.resolve("ai-qa.parquet").toString();
    spark.read().json(AI_QA.toString()).withColumnRenamed("_id", "id").write().parquet(table);
    SparkEncodeJob job = new SparkEncodeJob();
    job.input = table;
    job.model = TestModels.folder(TestModels.MINILM).toString();
    job.parquet = tmp.resolve("vectors").toString();
    assertEquals(183, job.run(spark).rows());
    assertEquals(183, spark.read().parquet(job.parquet).select("id").distinct().count());
    // The output folder exists now: a second run refuses to overwrite it.
    QuarryException e = assertThrows(QuarryException.class, () -> job.run(spark));
    assertTrue(e.getMessage().contains("exists"), e.getMessage());
  }

  /**
   * {@code --onnx-file} reaches the executors: the job's vectors are those of the named graph (here
   * one whose first weight matrix is halved, so its vectors differ from the default graph's), and
   * the fingerprint written with them is that graph's.
   */
  @Test
  void anotherOnnxFileOfTheFolderIsWhatTheTasksRun() {
    Path folder = TestModels.copyOf(TestModels.MINILM, tmp.resolve("minilm-variant"), dir -> writeHalvedGraph(dir.resolve("onnx")));
    SparkEncodeJob job = new SparkEncodeJob();
    job.input = AI_QA.toString();
    job.model = folder.toString();
    job.onnxFile = "halved.onnx";
    job.parquet = tmp.resolve("vectors-halved").toString();
    SparkEncodeJob.Summary summary = job.run(spark);

    ModelFolder plain = ModelFolder.read(folder, "variant");
    ModelFolder halved = plain.withOnnxFile("halved.onnx");
    assertEquals(ModelFingerprint.of(halved), summary.fingerprint());
    assertTrue(!ModelFingerprint.of(plain).equals(summary.fingerprint()), "the fingerprint must follow the ONNX file");
    Map<String, float[]> written = new HashMap<>();
    for (Row r : spark.read().parquet(job.parquet).select("id", "vector").collectAsList()) {
      written.put(r.getString(0), toFloats(r.getList(1)));
    }
    assertEquals(183, written.size());
    List<Row> first = spark.read().json(AI_QA.toString()).select("_id", "title", "text").limit(8).collectAsList();
    List<String> texts = first.stream().map(r -> new dev.quarry.data.Document(r.getString(0), r.getString(1), r.getString(2)).fullText()).toList();
    try (SentenceTransformer h = SentenceTransformer.load(halved, RuntimeOptions.defaults());
        SentenceTransformer p = SentenceTransformer.load(plain, RuntimeOptions.defaults())) {
      float[][] expected = h.encodeDocuments(texts, EncodeOptions.defaults());
      float[][] defaults = p.encodeDocuments(texts, EncodeOptions.defaults());
      for (int i = 0; i < texts.size(); i++) {
        float[] got = written.get(first.get(i).getString(0));
        assertTrue(maxAbsDiff(got, expected[i]) < 1e-5, "row " + i + " differs from the halved graph's vector");
        assertTrue(maxAbsDiff(got, defaults[i]) > 1e-3, "row " + i + " looks like the default graph's vector");
      }
    }
  }

  /** onnx/halved.onnx: model.onnx with its first 2-d float initializer (a weight matrix) times 0.5. */
  private static void writeHalvedGraph(Path onnxDir) {
    ModelProto model = OnnxWeights.readModel(onnxDir.resolve("model.onnx"));
    ModelProto.Builder b = model.toBuilder();
    for (int i = 0; i < b.getGraph().getInitializerCount(); i++) {
      TensorProto t = b.getGraph().getInitializer(i);
      if (t.getDimsCount() == 2 && t.getDataType() == TensorProto.DataType.FLOAT_VALUE && t.getDims(0) < 10_000) {
        float[] w = OnnxWeights.floats(t);
        ByteBuffer buf = ByteBuffer.allocate(4 * w.length).order(ByteOrder.LITTLE_ENDIAN);
        for (float x : w) {
          buf.putFloat(x * 0.5f);
        }
        b.getGraphBuilder().setInitializer(i, t.toBuilder().clearFloatData().setRawData(ByteString.copyFrom(buf.array())));
        try {
          Files.write(onnxDir.resolve("halved.onnx"), b.build().toByteArray());
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
        return;
      }
    }
    throw new IllegalStateException("no weight matrix in " + onnxDir);
  }

  private static float[] toFloats(List<Object> xs) {
    float[] out = new float[xs.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = ((Number) xs.get(i)).floatValue();
    }
    return out;
  }

  private static double maxAbsDiff(float[] a, float[] b) {
    double m = 0;
    for (int i = 0; i < a.length; i++) {
      m = Math.max(m, Math.abs(a[i] - b[i]));
    }
    return m;
  }

  @Test
  void rowsWithoutTextAndRepeatedIdsAreRefusedNamingTheInput() throws Exception {
    Path missing = tmp.resolve("missing.jsonl");
    Files.write(missing, List.of("{\"_id\": \"a\", \"text\": \"fine\"}", "{\"_id\": \"b\", \"title\": \"no text\"}"));
    QuarryException e = assertThrows(QuarryException.class, () -> CorpusTable.read(spark, missing.toString()));
    assertTrue(e.getMessage().contains(missing.toString()) && e.getMessage().contains("1 rows have no id or no text"), e.getMessage());

    Path repeated = tmp.resolve("repeated.jsonl");
    Files.write(repeated, List.of("{\"_id\": \"a\", \"text\": \"one\"}", "{\"_id\": \"a\", \"text\": \"two\"}"));
    e = assertThrows(QuarryException.class, () -> CorpusTable.read(spark, repeated.toString()));
    assertTrue(e.getMessage().contains("a (2x)"), e.getMessage());

    Path noText = tmp.resolve("columns.jsonl");
    Files.write(noText, List.of("{\"_id\": \"a\", \"body\": \"one\"}"));
    e = assertThrows(QuarryException.class, () -> CorpusTable.read(spark, noText.toString()));
    assertTrue(e.getMessage().contains("needs columns id (or _id) and text"), e.getMessage());
  }
}
