package dev.quarry.cli;

import static dev.quarry.cli.QuarryCliTest.captureErr;
import static dev.quarry.cli.QuarryCliTest.captureOut;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.quarry.index.IndexMetadata;
import dev.quarry.index.lucene.LuceneIndex;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** quarry index / search over a folder of files: warnings for bad files, a resync that reads nothing, and a SIGKILL mid-build. */
@Tag("slow")
class IndexFoldersCommandTest {
  @TempDir Path tmp;

  @Test
  void aFolderIsIndexedSearchedAndBadFilesAreNamed() throws Exception {
    Path docs = Files.createDirectories(tmp.resolve("my-docs"));
    Files.writeString(docs.resolve("install.md"), "# Installing Quarry\n\nQuarry runs on any JVM from Java 17.");
    Files.writeString(docs.resolve("cell.html"), "<html><head><title>Cell biology</title></head><body><p>The mitochondria is the"
        + " powerhouse of the cell.</p></body></html>");
    byte[] junk = new byte[2048];
    new Random(1).nextBytes(junk);
    Files.write(docs.resolve("junk.txt"), junk);
    String index = tmp.resolve("idx").toString();
    String built = captureErr(() -> assertEquals(0, QuarryCli.run("index", docs.toString(), "--index", index)));
    assertTrue(built.contains("skipped " + docs.resolve("junk.txt") + ": binary data"), built);
    assertTrue(built.contains("3 files: 2 added, 0 changed, 0 unchanged, 0 deleted (2 chunks encoded); 1 skipped"), built);

    String[] out = new String[1];
    String err = captureErr(() -> out[0] = captureOut(() -> assertEquals(0,
        QuarryCli.run("search", "--docs", docs.toString(), "--index", index, "-k", "1", "what is the powerhouse of the cell"))));
    assertTrue(err.contains("0 added, 0 changed, 2 unchanged"), err);
    assertTrue(out[0].contains("Cell biology  (" + docs.resolve("cell.html") + ", chunk 0)"), out[0]);

    // eval over the folder: qrels name the files by their path under it.
    Files.writeString(tmp.resolve("queries.jsonl"), "{\"_id\": \"q1\", \"text\": \"what is the powerhouse of the cell\"}\n"
        + "{\"_id\": \"q2\", \"text\": \"which Java does Quarry need\"}\n");
    Files.writeString(tmp.resolve("qrels.tsv"), "query-id\tcorpus-id\tscore\nq1\tcell.html\t1\nq2\tinstall.md\t1\n");
    String table = captureOut(() -> captureErr(() -> assertEquals(0, QuarryCli.run("eval", "--docs", docs.toString(), "--index", index,
        "--queries", tmp.resolve("queries.jsonl").toString(), "--qrels", tmp.resolve("qrels.tsv").toString()))));
    assertTrue(table.contains("| MRR@10 | 1.0000 |"), table);
    Files.writeString(tmp.resolve("qrels-bad.tsv"), "query-id\tcorpus-id\tscore\nq1\tmissing.pdf\t1\n");
    String refused = captureErr(() -> assertEquals(2, QuarryCli.run("eval", "--docs", docs.toString(), "--index", index,
        "--queries", tmp.resolve("queries.jsonl").toString(), "--qrels", tmp.resolve("qrels-bad.tsv").toString())));
    assertTrue(refused.contains("missing.pdf"), refused);

    Path bad = Files.createDirectories(tmp.resolve("bad"));
    Files.write(bad.resolve("junk.md"), junk);
    String none = captureErr(() -> assertEquals(1, QuarryCli.run("index", bad.toString(), "--index", tmp.resolve("idx2").toString())));
    assertTrue(none.contains("1 skipped"), none);
  }

  /**
   * Permission denied for real: root reads any file whatever its mode, so as root the command runs
   * in a child JVM without the capabilities that let it (setpriv drops CAP_DAC_OVERRIDE and
   * CAP_DAC_READ_SEARCH from its bounding set).
   */
  @Test
  void unreadableFilesAndFoldersAreNamedAndTheirIndexedChunksKept() throws Exception {
    Path docs = Files.createDirectories(tmp.resolve("perm"));
    Files.writeString(docs.resolve("open.txt"), "Anyone may read this note about vector search.");
    Files.writeString(docs.resolve("locked.txt"), "A private note about key rotation.");
    Path lockedDir = Files.createDirectories(docs.resolve("private"));
    Files.writeString(lockedDir.resolve("inner.txt"), "A note in a folder that becomes unreadable.");
    Path index = tmp.resolve("idx");
    String first = captureErr(() -> assertEquals(0, QuarryCli.run("index", docs.toString(), "--index", index.toString())));
    assertTrue(first.contains("3 files: 3 added"), first);

    Files.setLastModifiedTime(docs.resolve("locked.txt"), java.nio.file.attribute.FileTime.fromMillis(System.currentTimeMillis() + 60_000));
    Files.setPosixFilePermissions(docs.resolve("locked.txt"), java.nio.file.attribute.PosixFilePermissions.fromString("---------"));
    Files.setPosixFilePermissions(lockedDir, java.nio.file.attribute.PosixFilePermissions.fromString("---------"));
    try {
      List<String> cmd = new java.util.ArrayList<>();
      if ("root".equals(System.getProperty("user.name"))) {
        dev.quarry.TestRequirements.require(Files.isExecutable(Path.of("/usr/bin/setpriv")),
            "permission test skipped: as root it needs setpriv (util-linux) to drop the capability to read any file");
        cmd.addAll(List.of("/usr/bin/setpriv", "--bounding-set", "-dac_override,-dac_read_search"));
      }
      cmd.addAll(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp", System.getProperty("java.class.path"),
          QuarryCli.class.getName(), "index", docs.toString(), "--index", index.toString()));
      Process child = new ProcessBuilder(cmd).redirectErrorStream(true).start();
      String out = new String(child.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
      assertEquals(0, child.waitFor(), out);
      assertTrue(out.contains("skipped " + docs.resolve("locked.txt") + ": permission denied"), out);
      assertTrue(out.contains("skipped " + lockedDir + ": permission denied"), out);
      assertTrue(out.contains("0 deleted"), "what could not be read is kept: " + out);
    } finally {
      Files.setPosixFilePermissions(lockedDir, java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));
      Files.setPosixFilePermissions(docs.resolve("locked.txt"), java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
    }
    try (LuceneIndex idx = LuceneIndex.open(index, LuceneIndex.readMetadata(index), dev.quarry.index.IndexSettings.defaults())) {
      assertEquals(java.util.Set.of("open.txt", "locked.txt", "private/inner.txt"), idx.sources().keySet());
    }
  }

  @Test
  void encodeChunkCutsLongTextsWithTheSameChunker() throws Exception {
    Path in = tmp.resolve("texts.jsonl");
    String longText = "Retrieval augmented generation grounds answers in passages. ".repeat(60);
    Files.writeString(in, "{\"_id\": \"short\", \"text\": \"A short text.\"}\n{\"_id\": \"long\", \"text\": \"" + longText + "\"}\n");
    Path out = tmp.resolve("vectors.npy");
    String err = captureErr(() -> assertEquals(0, QuarryCli.run("encode", "--chunk", "--chunk-tokens", "64", in.toString(), "-o", out.toString())));
    dev.quarry.chunk.Chunker chunker = new dev.quarry.chunk.Chunker(dev.quarry.TestModels.model(dev.quarry.TestModels.MINILM).documentTokenizer(), 64, 16);
    int expected = 1 + chunker.chunk(longText).size();
    assertTrue(err.contains("2 texts cut into " + expected + " chunks of at most 64 word-pieces"), err);
    List<String> rows = Files.readAllLines(tmp.resolve("vectors.npy.chunks.jsonl"));
    assertEquals(expected, rows.size());
    assertTrue(rows.get(0).contains("\"id\":\"short#0\"") && rows.get(1).contains("\"id\":\"long#0\""), rows.toString());
    assertEquals(expected, dev.quarry.search.RowMatrix.mapNpy(out).rows());
  }

  @Test
  void aBuildKilledWithSigkillResumesWithoutEncodingCommittedFilesAgain() throws Exception {
    Path docs = Files.createDirectories(tmp.resolve("many"));
    int files = 400;
    for (int i = 0; i < files; i++) {
      Files.writeString(docs.resolve(String.format(java.util.Locale.ROOT, "note-%03d.txt", i)), "Note " + i + " is about topic " + (i * 7919 % 101)
          + " and nothing else.");
    }
    Path index = tmp.resolve("idx");
    Process child = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp",
        System.getProperty("java.class.path"), QuarryCli.class.getName(), "index", docs.toString(), "--index", index.toString(),
        "--commit-every", "8").redirectErrorStream(true).redirectOutput(tmp.resolve("child.log").toFile()).start();
    // Kill once at least two batches are committed (the open commits generation 1).
    long deadline = System.currentTimeMillis() + 120_000;
    while (generation(index) < 3 && child.isAlive() && System.currentTimeMillis() < deadline) {
      Thread.sleep(5);
    }
    assertTrue(child.isAlive(), "the build ended before it could be killed: " + Files.readString(tmp.resolve("child.log")));
    child.destroyForcibly(); // SIGKILL: no shutdown hook, no last commit
    assertEquals(137, child.waitFor(), "killed by SIGKILL");

    long committed;
    IndexMetadata meta = LuceneIndex.readMetadata(index);
    assertTrue(meta != null);
    try (LuceneIndex idx = LuceneIndex.open(index, meta, dev.quarry.index.IndexSettings.defaults())) {
      committed = idx.sources().size();
    }
    assertTrue(committed >= 16 && committed < files, "committed before the kill: " + committed);

    String resumed = captureErr(() -> assertEquals(0, QuarryCli.run("index", docs.toString(), "--index", index.toString())));
    Matcher m = Pattern.compile(files + " files: (\\d+) added, 0 changed, (\\d+) unchanged, 0 deleted \\((\\d+) chunks encoded\\)").matcher(resumed);
    assertTrue(m.find(), resumed);
    assertEquals(committed, Long.parseLong(m.group(2)), "every committed file is unchanged: " + resumed);
    assertEquals(files - committed, Long.parseLong(m.group(1)));
    assertEquals(files - committed, Long.parseLong(m.group(3)), "only the files after the last commit were encoded");
    try (LuceneIndex idx = LuceneIndex.open(index, meta, dev.quarry.index.IndexSettings.defaults())) {
      assertEquals(files, idx.size(), "each file once");
      assertEquals(files, idx.sources().size());
    }
  }

  /** The generation of the index's latest commit (segments_N, N in base 36), 0 before the first. */
  private static long generation(Path index) throws Exception {
    if (!Files.isDirectory(index)) {
      return 0;
    }
    try (Stream<Path> files = Files.list(index)) {
      return files.map(p -> p.getFileName().toString()).filter(n -> n.startsWith("segments_"))
          .mapToLong(n -> Long.parseLong(n.substring("segments_".length()), Character.MAX_RADIX)).max().orElse(0);
    }
  }
}
