package dev.quarry.search;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Reciprocal rank fusion, computed by hand on small lists. */
class ReciprocalRankFusionTest {
  private static List<Hit> ranked(String... ids) {
    List<Hit> out = new java.util.ArrayList<>();
    for (int i = 0; i < ids.length; i++) {
      out.add(new Hit(ids[i], 100f - i)); // scores are ignored: only ranks count
    }
    return out;
  }

  @Test
  void aDocumentHighInBothListsWinsAndScoresAreSumsOfReciprocalRanks() {
    List<Hit> fused = ReciprocalRankFusion.fuse(List.of(ranked("a", "b", "c"), ranked("b", "d", "a")), 60, 10);
    // b: 1/62 + 1/61; a: 1/61 + 1/63; d: 1/62; c: 1/63.
    assertEquals(List.of("b", "a", "d", "c"), fused.stream().map(Hit::id).toList());
    assertEquals(1.0 / 62 + 1.0 / 61, fused.get(0).score(), 1e-7);
    assertEquals(1.0 / 61 + 1.0 / 63, fused.get(1).score(), 1e-7);
    assertEquals(1.0 / 63, fused.get(3).score(), 1e-7);
  }

  @Test
  void tiesKeepFirstSeenOrderAndTopKCuts() {
    // x and y have the same fused score (rank 1 in one list each): the first list's comes first.
    List<Hit> fused = ReciprocalRankFusion.fuse(List.of(ranked("x"), ranked("y")), 60, 1);
    assertEquals(List.of("x"), fused.stream().map(Hit::id).toList());
    assertEquals(List.of(), ReciprocalRankFusion.fuse(List.of(List.of(), List.of()), 60, 5));
  }

  @Test
  void smallerKFavoursTopRanksMore() {
    // "top" is first in one list only; "steady" is lower in both. Near the top, agreement wins
    // at any k; further down, a small k lets the single first place win, a large k agreement.
    List<List<Hit>> lists = List.of(ranked("top", "steady"), ranked("other", "steady"));
    assertEquals("steady", ReciprocalRankFusion.fuse(lists, 60, 1).get(0).id()); // 2/62 > 1/61
    assertEquals("steady", ReciprocalRankFusion.fuse(lists, 1, 1).get(0).id()); // 2/3 > 1/2
    List<List<Hit>> far = List.of(ranked("top", "a", "b", "c", "steady"), ranked("o", "p", "q", "r", "steady"));
    assertEquals("top", ReciprocalRankFusion.fuse(far, 1, 1).get(0).id()); // 1/2 > 2/6
    assertEquals("steady", ReciprocalRankFusion.fuse(far, 60, 1).get(0).id()); // 2/65 > 1/61
  }
}
