package dev.quarry.spark;

import dev.quarry.data.Document;
import dev.quarry.index.IndexMetadata;
import dev.quarry.index.IndexSettings;
import dev.quarry.index.PassageSchema;
import dev.quarry.index.lucene.LuceneIndex;
import dev.quarry.solr.SolrIndex;
import dev.quarry.solr.SolrTarget;
import java.io.Serializable;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.function.ForeachPartitionFunction;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.sql.Row;
import scala.collection.immutable.ArraySeq;

/**
 * Where encoded partitions land besides Parquet: a SolrCloud collection, or per-partition Lucene
 * indexes. The functions capture only serializable values (they travel to executors), and use the
 * default HNSW settings, which the collection's configset and the merged index record.
 */
final class IndexSinks {
  /** Documents per write: Solr update requests, Lucene adds between checks. */
  private static final int BATCH = 256;
  /** Bulk-loaded corpus documents: a later `quarry index` sync of the same corpus marks them seen, not re-encoded. */
  private static final long GENERATION = 0;

  private IndexSinks() {}

  /** The model metadata in a form that travels to executors (records are not Serializable). */
  record Meta(HashMap<String, String> pairs) implements Serializable {
    static Meta of(IndexMetadata m) {
      return new Meta(new HashMap<>(m.toUserData()));
    }

    IndexMetadata metadata() {
      return IndexMetadata.fromUserData(pairs, "the job's model");
    }
  }

  /**
   * Writes each partition into the collection and commits it. Solr keeps one document per id, so a
   * task that failed part-way and is retried leaves no duplicate; and a retry skips the documents
   * the failed attempt already wrote (same id and content hash, read by real-time get), so that it
   * replaces nothing: a replaced document stays in Lucene's BM25 statistics as a deleted one until
   * its segment merges, and the collection would rank slightly differently from a clean load.
   */
  static ForeachPartitionFunction<Row> solr(SolrTarget target, Meta meta, InjectedFault fault) {
    return rows -> {
      boolean fail = fault.firesHere();
      TaskContext task = TaskContext.get();
      boolean retry = task != null && task.attemptNumber() > 0;
      try (SolrIndex index = SolrIndex.open(target, meta.metadata(), IndexSettings.defaults())) {
        drain(rows, (docs, vectors) -> {
          if (retry) {
            Map<String, String> stored = index.storedHashes(docs.stream().map(Document::id).toList());
            List<Document> missing = new ArrayList<>();
            List<float[]> missingVectors = new ArrayList<>();
            for (int i = 0; i < docs.size(); i++) {
              if (!PassageSchema.contentHash(docs.get(i)).equals(stored.get(docs.get(i).id()))) {
                missing.add(docs.get(i));
                missingVectors.add(vectors[i]);
              }
            }
            docs = missing;
            vectors = missingVectors.toArray(float[][]::new);
          }
          if (docs.isEmpty()) {
            return;
          }
          index.upsert(docs, vectors, GENERATION);
          if (fail) {
            index.commit(); // the first batch is durable in the collection when the task dies
            throw fault.failure(docs.size() + " documents committed");
          }
        });
        index.commit();
      }
    };
  }

  /**
   * Writes each partition into its own Lucene index under {@code partsDir} (a folder the driver
   * sees: local in local[*], a shared file system on a cluster) and returns its path. The driver
   * adds exactly the paths Spark reports for successful attempts, so a retried or speculative task's
   * other copy is never added.
   */
  static MapPartitionsFunction<Row, String> luceneParts(String partsDir, Meta meta, InjectedFault fault) {
    return rows -> {
      TaskContext task = TaskContext.get();
      Path dir = Path.of(partsDir, "part-" + task.partitionId() + "-" + task.attemptNumber() + "-" + UUID.randomUUID());
      Files.createDirectories(dir);
      try (LuceneIndex index = LuceneIndex.open(dir, meta.metadata(), IndexSettings.defaults())) {
        drain(rows, (docs, vectors) -> index.upsert(docs, vectors, GENERATION));
        index.commit();
      }
      if (fault.firesHere()) { // the worst moment: a complete part index on disk, from an attempt that failed
        throw fault.failure("part index " + dir.getFileName() + " committed");
      }
      return List.of(dir.toString()).iterator();
    };
  }

  private interface Writer {
    void write(List<Document> docs, float[][] vectors);
  }

  private static void drain(Iterator<Row> rows, Writer writer) {
    List<Document> docs = new ArrayList<>(BATCH);
    List<float[]> vectors = new ArrayList<>(BATCH);
    while (rows.hasNext()) {
      Row r = rows.next();
      docs.add(new Document(r.getString(0), r.getString(1), r.getString(2)));
      vectors.add(floats(r.get(3)));
      if (docs.size() == BATCH || !rows.hasNext()) {
        writer.write(docs, vectors.toArray(float[][]::new));
        docs.clear();
        vectors.clear();
      }
    }
  }

  /** A float array column as Spark hands it back: a Scala sequence of boxed floats, or a Java array. */
  static float[] floats(Object value) {
    if (value instanceof float[] f) {
      return f;
    }
    scala.collection.Seq<?> seq = value instanceof ArraySeq<?> a ? a : (scala.collection.Seq<?>) value;
    float[] out = new float[seq.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = ((Number) seq.apply(i)).floatValue();
    }
    return out;
  }
}
