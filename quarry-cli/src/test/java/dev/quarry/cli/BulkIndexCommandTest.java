package dev.quarry.cli;

import static dev.quarry.cli.QuarryCliTest.captureErr;
import static dev.quarry.cli.QuarryCliTest.captureOut;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.quarry.data.CorpusGenerator;
import dev.quarry.index.IndexMetadata;
import dev.quarry.index.IndexSettings;
import dev.quarry.index.lucene.LuceneIndex;
import dev.quarry.io.Npy;
import java.io.BufferedOutputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code quarry index --vectors} as a bulk load: it returns with one segment (the final merge), and a
 * SIGKILL in the middle of that merge loses nothing: the next run merges again and every document is
 * there.
 */
@Tag("slow")
class BulkIndexCommandTest {
  static final int N = 20_000;
  static final int DIM = 384;

  @TempDir Path tmp;

  /** N generated passages and a random unit vector for each (row i for the i-th passage). */
  private Path[] corpusWithVectors() throws Exception {
    Path data = tmp.resolve("data");
    CorpusGenerator.from(Path.of("..", "datasets", "ai-qa", "corpus.jsonl")).write(data, N, 100, 42);
    Path npy = tmp.resolve("vectors.npy");
    Random r = new Random(7);
    try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(npy), 1 << 20)) {
      Npy.writeHeader(out, "<f4", N, DIM);
      for (int i = 0; i < N; i++) {
        Npy.writeRow(out, unit(r));
      }
    }
    return new Path[] {data, npy};
  }

  static float[] unit(Random r) {
    float[] v = new float[DIM];
    for (int d = 0; d < DIM; d++) {
      v[d] = (float) r.nextGaussian();
    }
    dev.quarry.modules.Normalize.l2NormalizeInPlace(v);
    return v;
  }

  @Test
  void aMergeKilledWithSigkillIsFinishedByTheNextRunWithNoDocumentLost() throws Exception {
    Path[] in = corpusWithVectors();
    Path index = tmp.resolve("idx");
    Path log = tmp.resolve("child.log");
    // Production thresholds; commits every 1,024 documents leave 20 segments, more than a merge tier.
    Process child = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp",
        System.getProperty("java.class.path"), QuarryCli.class.getName(), "index", "-d", in[0].toString(), "--index", index.toString(),
        "--vectors", in[1].toString(), "--commit-every", "1024", "--index-threads", "1", "--merge-workers", "1")
        .redirectErrorStream(true).redirectOutput(log.toFile()).start();
    long deadline = System.currentTimeMillis() + 300_000;
    while (!Files.readString(log).contains("quarry: building the HNSW graph") && child.isAlive() && System.currentTimeMillis() < deadline) {
      Thread.sleep(20);
    }
    assertTrue(child.isAlive(), "the build ended before its merge could be killed: " + Files.readString(log));
    child.destroyForcibly(); // SIGKILL in the middle of the graph build: no shutdown hook, no commit
    assertEquals(137, child.waitFor(), "killed by SIGKILL");
    String before = Files.readString(log);
    assertTrue(before.contains("merging 20 segments (20000 documents) into one"), before);

    IndexMetadata meta = LuceneIndex.readMetadata(index);
    try (LuceneIndex idx = LuceneIndex.open(index, meta, IndexSettings.defaults())) {
      assertEquals(20, idx.segments().size(), "the kill landed before the merge committed");
      assertEquals(N, idx.size(), "every document was committed before the merge began");
    }

    String[] out = new String[1];
    String err = captureErr(() -> out[0] = captureOut(() -> assertEquals(0, QuarryCli.run("index", "-d", in[0].toString(), "--index",
        index.toString(), "--vectors", in[1].toString()))));
    assertTrue(err.contains("merging 20 segments (20000 documents) into one"), "the next run finishes the merge: " + err);
    assertTrue(out[0].contains("holds " + N + " documents"), out[0]);
    try (LuceneIndex idx = LuceneIndex.open(index, meta, IndexSettings.defaults())) {
      assertEquals(1, idx.segments().size());
      assertEquals(N, idx.size());
      // Each passage is found by its own vector: no document or vector was lost or mixed up.
      dev.quarry.search.RowMatrix vectors = dev.quarry.search.RowMatrix.mapNpy(in[1]);
      for (int i = 0; i < N; i += 997) {
        assertEquals("p" + i, idx.dense(vectors.row(i, new float[DIM]), 1).get(0).id());
      }
    }
    // Nothing left: a third run neither syncs nor merges.
    String again = captureErr(() -> captureOut(() -> assertEquals(0, QuarryCli.run("index", "-d", in[0].toString(), "--index",
        index.toString(), "--vectors", in[1].toString()))));
    assertTrue(!again.contains("merging"), again);
  }
}
