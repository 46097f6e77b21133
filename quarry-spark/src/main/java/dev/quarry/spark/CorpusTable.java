package dev.quarry.spark;

import static org.apache.spark.sql.functions.coalesce;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;

import dev.quarry.QuarryException;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * The passages to encode as a table of (id, title, text): a BEIR corpus.jsonl ({@code _id}), a JSONL
 * table or a Parquet table ({@code id} or {@code _id}). Malformed JSON fails the job (FAILFAST);
 * rows without an id or text, and repeated ids, are refused before anything is encoded.
 */
final class CorpusTable {
  private CorpusTable() {}

  static Dataset<Row> read(SparkSession spark, String input) {
    String lower = input.toLowerCase(Locale.ROOT);
    boolean json = lower.endsWith(".jsonl") || lower.endsWith(".json") || lower.endsWith(".jsonl.gz");
    Dataset<Row> raw = json ? spark.read().option("mode", "FAILFAST").json(input) : spark.read().parquet(input);
    List<String> columns = Arrays.asList(raw.columns());
    Column id = columns.contains("_id") ? col("_id") : columns.contains("id") ? col("id") : null;
    if (id == null || !columns.contains("text")) {
      throw new QuarryException(input + ": needs columns id (or _id) and text (title optional); it has " + columns + ".");
    }
    Column title = columns.contains("title") ? coalesce(col("title").cast("string"), lit("")) : lit("");
    Dataset<Row> table = raw.select(id.cast("string").as("id"), title.as("title"), col("text").cast("string").as("text"));
    long missing = table.filter(col("id").isNull().or(col("id").equalTo("")).or(col("text").isNull())).count();
    if (missing > 0) {
      throw new QuarryException(input + ": " + missing + " rows have no id or no text; fix or drop them first.");
    }
    List<Row> repeated = table.groupBy("id").count().filter(col("count").gt(1)).limit(5).collectAsList();
    if (!repeated.isEmpty()) {
      throw new QuarryException(input + ": ids must be unique; repeated: "
          + repeated.stream().map(r -> r.getString(0) + " (" + r.getLong(1) + "x)").toList() + ".");
    }
    return table;
  }
}
