package dev.quarry.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.quarry.QuarryException;
import dev.quarry.data.BeirDataset;
import dev.quarry.train.examples.TrainingData;
import dev.quarry.train.examples.TrainingExample;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TrainingDataTest {
  @TempDir Path dir;

  @Test
  void beirQrelsGiveQueryPassagePairs() {
    BeirDataset ds = BeirDataset.load(FineTuneTest.AI_QA, "train", false);
    List<TrainingExample> rows = TrainingData.fromBeir(ds);
    int relevant = ds.qrels().judgements().values().stream().mapToInt(m -> (int) m.values().stream().filter(g -> g > 0).count()).sum();
    assertEquals(relevant, rows.size());
    TrainingExample first = rows.get(0);
    assertTrue(ds.queries().byId().containsValue(first.anchor()));
    assertTrue(ds.corpus().fullTexts().contains(first.positive()));
  }

  @Test
  void jsonlPairsAndTriplets() throws Exception {
    Path f = dir.resolve("train.jsonl");
    Files.writeString(f, "{\"anchor\": \"what is a GPU\", \"positive\": \"A GPU is a processor.\", \"negative\": \"Bananas are yellow.\"}\n"
        + "\n{\"query\": \"what is BM25\", \"pos\": \"BM25 ranks by term frequency.\", \"neg\": [\"Cats sleep.\"]}\n");
    List<TrainingExample> rows = TrainingData.read(f);
    assertEquals(2, rows.size());
    assertEquals(List.of("Cats sleep."), rows.get(1).negatives());
    assertEquals(f + ":3", rows.get(1).source());
  }

  @Test
  void csvWithHeaderAndQuotedCommas() throws Exception {
    Path f = dir.resolve("train.csv");
    Files.writeString(f, "anchor,positive\n\"what is dropout, exactly\",\"Dropout zeroes units, at random.\"\nq2,p2\n");
    List<TrainingExample> rows = TrainingData.read(f);
    assertEquals(2, rows.size());
    assertEquals("what is dropout, exactly", rows.get(0).anchor());
    assertEquals("Dropout zeroes units, at random.", rows.get(0).positive());
  }

  @Test
  void badRowsNameFileAndLine() throws Exception {
    Path json = dir.resolve("bad.jsonl");
    Files.writeString(json, "{\"anchor\": \"a\", \"positive\": \"b\"}\n{\"anchor\": \"c\"}\n");
    QuarryException e = assertThrows(QuarryException.class, () -> TrainingData.read(json));
    assertTrue(e.getMessage().contains(json + ":2") && e.getMessage().contains("positive"), e.getMessage());

    Path csv = dir.resolve("bad.csv");
    Files.writeString(csv, "q1,p1\nonly-one-column\n");
    e = assertThrows(QuarryException.class, () -> TrainingData.read(csv));
    assertTrue(e.getMessage().contains(csv + ":2") && e.getMessage().contains("2 columns"), e.getMessage());

    Path ragged = dir.resolve("ragged.csv");
    Files.writeString(ragged, "q1,p1,n1\nq2,p2\n");
    e = assertThrows(QuarryException.class, () -> TrainingData.read(ragged));
    assertTrue(e.getMessage().contains(ragged + ":2") && e.getMessage().contains("negatives"), e.getMessage());

    Path broken = dir.resolve("broken.jsonl");
    Files.writeString(broken, "{\"anchor\": \"a\", \"positive\": \"b\"}\n{\"anchor\": \"a\", \n");
    e = assertThrows(QuarryException.class, () -> TrainingData.read(broken));
    assertTrue(e.getMessage().contains("2"), e.getMessage());
  }

  /** A row as quarry mine writes it, for query {@code q}, positive {@code p} and negative {@code n} of the bundled set. */
  private static String minedRow(BeirDataset ds, String q, String p, String n) throws Exception {
    var o = dev.quarry.io.Json.object();
    o.put("query_id", q).put("anchor", ds.queries().get(q)).put("positive_id", p)
        .put("positive", ds.corpus().get(ds.corpus().indexOf(p)).fullText());
    o.putArray("negative_ids").add(n);
    o.putArray("negative").add(ds.corpus().contains(n) ? ds.corpus().get(ds.corpus().indexOf(n)).fullText() : "some text");
    return dev.quarry.io.Json.writer().writeValueAsString(o);
  }

  @Test
  void minedIdsAreCheckedAgainstTheDataset() throws Exception {
    BeirDataset ds = BeirDataset.load(FineTuneTest.AI_QA, "train", false);
    var first = ds.qrels().judgements().entrySet().iterator().next();
    String q = first.getKey();
    String p = first.getValue().keySet().iterator().next();
    String other = ds.corpus().documents().stream().map(d -> d.id()).filter(id -> ds.qrels().grade(q, id) == 0).findFirst().orElseThrow();
    Path f = dir.resolve("mined.jsonl");
    Files.writeString(f, minedRow(ds, q, p, other) + "\n");
    assertEquals(1, TrainingData.read(f, ds).size());

    Files.writeString(f, minedRow(ds, q, p, other) + "\n" + minedRow(ds, q, p, "nowhere") + "\n");
    assertTrue(assertThrows(QuarryException.class, () -> TrainingData.read(f, ds)).getMessage()
        .startsWith(f + ":2: unknown negative id 'nowhere'"));
    Files.writeString(f, minedRow(ds, q, p, p) + "\n");
    assertTrue(assertThrows(QuarryException.class, () -> TrainingData.read(f, ds)).getMessage()
        .contains(f + ":1: negative '" + p + "' is a judged positive of query '" + q + "'"));
    Files.writeString(f, minedRow(ds, q, p, other).replace("\"query_id\":\"" + q + "\"", "\"query_id\":\"q-unknown\"") + "\n");
    assertTrue(assertThrows(QuarryException.class, () -> TrainingData.read(f, ds)).getMessage()
        .startsWith(f + ":1: unknown query_id 'q-unknown'"));
    Files.writeString(f, minedRow(ds, q, p, other).replace("\"positive\":\"", "\"positive\":\"EDITED ") + "\n");
    assertTrue(assertThrows(QuarryException.class, () -> TrainingData.read(f, ds)).getMessage()
        .startsWith(f + ":1: the positive text differs from document " + p));
    // Without a dataset the ids cannot be checked, but texts still must not be empty.
    Files.writeString(f, minedRow(ds, q, p, other).replaceFirst("\"negative\":\\[\"[^\"]*\"", "\"negative\":[\"\"") + "\n");
    assertTrue(assertThrows(QuarryException.class, () -> TrainingData.read(f)).getMessage()
        .startsWith(f + ":1: an entry of \"negative\" is empty"));
  }
}
