package dev.quarry.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.quarry.QuarryException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;

class BeirDatasetTest {
  @TempDir Path dir;

  @BeforeEach
  void validDataset() throws IOException {
    Files.createDirectories(dir.resolve("qrels"));
    Files.writeString(dir.resolve("corpus.jsonl"),
        "{\"_id\": \"d1\", \"title\": \"Dropout\", \"text\": \"Random units are switched off.\"}\n"
            + "{\"_id\": \"d2\", \"title\": \"\", \"text\": \"BM25 ranks by term statistics.\"}\n");
    Files.writeString(dir.resolve("queries.jsonl"), "{\"_id\": \"q1\", \"text\": \"what is dropout\"}\n"
        + "{\"_id\": \"q2\", \"text\": \"keyword ranking\"}\n");
    Files.writeString(dir.resolve("qrels/test.tsv"), "query-id\tcorpus-id\tscore\nq1\td1\t1\nq2\td2\t2\n");
  }

  @Test
  void readsAValidDatasetWithBeirDocumentText() {
    BeirDataset ds = BeirDataset.load(dir, "test", false);
    assertEquals(2, ds.corpus().size());
    assertEquals("Dropout Random units are switched off.", ds.corpus().get(0).fullText());
    assertEquals("BM25 ranks by term statistics.", ds.corpus().get(1).fullText(), "empty title: stripped");
    assertEquals(2, ds.qrels().grade("q2", "d2"));
  }

  @Test
  void streamsACorpusDocumentByDocument() {
    List<String> ids = new ArrayList<>();
    Corpus.stream(dir.resolve("corpus.jsonl"), d -> ids.add(d.id()));
    assertEquals(List.of("d1", "d2"), ids);
  }

  @Test
  void malformedJsonNamesFileAndLine() throws IOException {
    append("corpus.jsonl", "{\"_id\": \"d3\", \"text\": \n");
    expect(() -> BeirDataset.load(dir, "test", false), "corpus.jsonl line 3", "malformed JSON");
  }

  @Test
  void missingIdNamesFileAndLine() throws IOException {
    append("queries.jsonl", "{\"text\": \"no id\"}\n");
    expect(() -> BeirDataset.load(dir, "test", false), "queries.jsonl line 3", "_id");
  }

  @Test
  void duplicateIds() throws IOException {
    append("corpus.jsonl", "{\"_id\": \"d1\", \"text\": \"again\"}\n");
    expect(() -> BeirDataset.load(dir, "test", false), "corpus.jsonl line 3", "duplicate _id 'd1'");
  }

  @Test
  void missingTextField() throws IOException {
    append("corpus.jsonl", "{\"_id\": \"d3\", \"title\": \"t\"}\n");
    expect(() -> BeirDataset.load(dir, "test", false), "corpus.jsonl line 3", "'text'");
  }

  @Test
  void unknownIdsInQrelsAreErrorsUnlessSkippedAndCounted() throws IOException {
    append("qrels/test.tsv", "q1\tnope\t1\nq9\td1\t1\n");
    expect(() -> BeirDataset.load(dir, "test", false), "test.tsv", "nope", "--skip-unknown-ids");
    BeirDataset ds = BeirDataset.load(dir, "test", true);
    assertEquals(2, ds.skippedQrels());
    assertEquals(2, ds.qrels().size());
  }

  @Test
  void badQrelsRows() throws IOException {
    append("qrels/test.tsv", "q1\td2\n");
    expect(() -> BeirDataset.load(dir, "test", false), "test.tsv line 4", "3 tab-separated columns");
    Files.writeString(dir.resolve("qrels/test.tsv"), "q1\td1\thigh\n");
    expect(() -> BeirDataset.load(dir, "test", false), "test.tsv line 1", "not an integer");
  }

  @Test
  void emptyAndMissingSplits() throws IOException {
    Files.writeString(dir.resolve("qrels/dev.tsv"), "query-id\tcorpus-id\tscore\nq1\td2\t0\n");
    expect(() -> BeirDataset.load(dir, "dev", false), "dev.tsv", "empty");
    expect(() -> BeirDataset.load(dir, "train", false), "train.tsv", "no such split");
  }

  @Test
  void invalidUtf8NamesItsLine() throws IOException {
    Files.write(dir.resolve("queries.jsonl"), ("{\"_id\": \"q1\", \"text\": \"ok\"}\n{\"_id\": \"q2\", \"text\": \"caf")
        .getBytes(java.nio.charset.StandardCharsets.UTF_8));
    Files.write(dir.resolve("queries.jsonl"), new byte[] {(byte) 0xe9, '"', '}', '\n'}, java.nio.file.StandardOpenOption.APPEND);
    expect(() -> BeirDataset.load(dir, "test", false), "queries.jsonl line 2", "invalid UTF-8");
  }

  private void append(String file, String text) throws IOException {
    Files.writeString(dir.resolve(file), text, java.nio.file.StandardOpenOption.APPEND);
  }

  private static void expect(Executable call, String... parts) {
    QuarryException e = assertThrows(QuarryException.class, call);
    for (String p : parts) {
      assertTrue(e.getMessage().contains(p), "message lacks '" + p + "': " + e.getMessage());
    }
  }
}
