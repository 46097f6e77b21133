package dev.quarry.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.quarry.train.examples.NoDuplicatesBatchSampler;
import dev.quarry.train.examples.TrainingExample;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class NoDuplicatesBatchSamplerTest {
  /** 40 queries over 10 passages: every passage is the positive of 4 queries. */
  static List<TrainingExample> rows() {
    List<TrainingExample> rows = new ArrayList<>();
    for (int i = 0; i < 40; i++) {
      rows.add(new TrainingExample("query " + i, "passage " + (i % 10), List.of(), "row " + i));
    }
    return rows;
  }

  @Test
  void noBatchHoldsATextTwiceAndEveryRowIsUsedOnce() {
    List<TrainingExample> rows = rows();
    List<List<Integer>> batches = new NoDuplicatesBatchSampler(rows, 8, false, 1).batches(0);
    Set<Integer> seen = new HashSet<>();
    for (List<Integer> batch : batches) {
      Set<String> texts = new HashSet<>();
      for (int i : batch) {
        assertTrue(seen.add(i), "row " + i + " twice");
        for (String t : rows.get(i).texts()) {
          assertTrue(texts.add(t), "text '" + t + "' twice in a batch");
        }
      }
      assertTrue(batch.size() <= 8);
    }
    assertEquals(40, seen.size());
    // Only 10 distinct passages: batches of 8 fill, but not all of them can.
    assertTrue(batches.size() >= 5);
  }

  @Test
  void orderIsFixedBySeedAndEpoch() {
    List<TrainingExample> rows = rows();
    NoDuplicatesBatchSampler s = new NoDuplicatesBatchSampler(rows, 8, false, 1);
    assertEquals(s.batches(0), new NoDuplicatesBatchSampler(rows, 8, false, 1).batches(0));
    assertNotEquals(s.batches(0), s.batches(1));
    assertNotEquals(s.batches(0), new NoDuplicatesBatchSampler(rows, 8, false, 2).batches(0));
  }

  @Test
  void dropLastDropsOnlyShortBatches() {
    List<List<Integer>> batches = new NoDuplicatesBatchSampler(rows(), 8, true, 1).batches(0);
    batches.forEach(b -> assertEquals(8, b.size()));
  }
}
