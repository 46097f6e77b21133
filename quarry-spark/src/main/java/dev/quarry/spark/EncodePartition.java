package dev.quarry.spark;

import dev.quarry.data.Document;
import dev.quarry.encode.EncodeOptions;
import dev.quarry.encode.SentenceTransformer;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * Encodes a partition a chunk at a time with the executor's shared model: (id, title, text) in,
 * (id, title, text, vector) out. Each chunk is encoded in length-sorted batches (what {@link
 * SentenceTransformer#encodeDocuments} does), so memory is bounded by the chunk, not the partition.
 */
final class EncodePartition implements MapPartitionsFunction<Row, Row> {
  private static final long serialVersionUID = 1L;
  static final StructType SCHEMA = new StructType().add("id", DataTypes.StringType, false)
      .add("title", DataTypes.StringType, false).add("text", DataTypes.StringType, false)
      .add("vector", DataTypes.createArrayType(DataTypes.FloatType, false), false);

  private final String model;
  /** Another ONNX file of the model folder (int8), or null for its default graph. */
  private final String onnxFile;
  private final int chunk;
  private final int batchSize;
  /** Test hook: this partition's first attempt fails half way through its first chunk (-1: never). */
  private final int failOncePartition;

  EncodePartition(String model, String onnxFile, int chunk, int batchSize, int failOncePartition) {
    this.model = model;
    this.onnxFile = onnxFile;
    this.chunk = chunk;
    this.batchSize = batchSize;
    this.failOncePartition = failOncePartition;
  }

  @Override
  public Iterator<Row> call(Iterator<Row> rows) {
    SentenceTransformer m = ExecutorModels.get(model, onnxFile);
    EncodeOptions options = EncodeOptions.defaults().withBatchSize(batchSize);
    TaskContext task = TaskContext.get();
    boolean fail = task != null && task.partitionId() == failOncePartition && task.attemptNumber() == 0;
    return new Iterator<>() {
      private final List<Row> out = new ArrayList<>();
      private int next;
      private int chunksDone;

      @Override
      public boolean hasNext() {
        if (next < out.size()) {
          return true;
        }
        out.clear();
        next = 0;
        List<Document> docs = new ArrayList<>(chunk);
        while (docs.size() < chunk && rows.hasNext()) {
          Row r = rows.next();
          docs.add(new Document(r.getString(0), r.getString(1), r.getString(2)));
        }
        if (docs.isEmpty()) {
          return false;
        }
        float[][] vectors = m.encodeDocuments(docs.stream().map(Document::fullText).toList(), options);
        for (int i = 0; i < docs.size(); i++) {
          Document d = docs.get(i);
          out.add(RowFactory.create(d.id(), d.title(), d.text(), vectors[i]));
        }
        chunksDone++;
        return true;
      }

      @Override
      public Row next() {
        if (!hasNext()) {
          throw new NoSuchElementException();
        }
        if (fail && chunksDone == 1 && next == out.size() / 2) {
          // Half of the first chunk already handed on: a retry must not leave those rows twice.
          throw new IllegalStateException("injected failure in encode (half of the first chunk handed on), partition " + failOncePartition
              + ", attempt 0");
        }
        return out.get(next++);
      }
    };
  }
}
