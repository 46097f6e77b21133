package dev.quarry.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.quarry.QuarryException;
import dev.quarry.data.BeirDataset;
import dev.quarry.train.data.TrainingData;
import dev.quarry.train.data.TrainingExample;
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
}
