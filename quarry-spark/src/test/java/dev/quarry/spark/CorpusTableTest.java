package dev.quarry.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.quarry.QuarryException;
import dev.quarry.TestModels;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
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
