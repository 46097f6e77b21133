package dev.quarry.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.quarry.QuarryException;
import dev.quarry.search.Hit;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** TREC run files: what {@link IrReport#writeRun} writes, {@link IrReport#readRun} reads back; a bad line is named. */
class RunFileTest {
  @Test
  void aWrittenRunReadsBackInOrderAndABadLineIsNamed(@TempDir Path dir) throws Exception {
    Map<String, List<Hit>> run = new LinkedHashMap<>();
    run.put("q2", List.of(new Hit("d9", 3.5f), new Hit("d1", 1.25f)));
    run.put("q1", List.of(new Hit("d4", 0.5f)));
    Path file = dir.resolve("run.trec");
    IrReport.writeRun(run, "test", file);
    assertEquals(run, IrReport.readRun(file));
    Files.writeString(file, Files.readString(file) + "q3 Q0 d2 1 not-a-score test\n");
    QuarryException e = assertThrows(QuarryException.class, () -> IrReport.readRun(file));
    assertTrue(e.getMessage().startsWith(file + ":4:"), e.getMessage());
  }
}
