package dev.quarry.inference;

import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;

/** Run by {@link OnnxExportsTest} in a second JVM: asks for the export of a folder and says whether it ran one. */
public final class ExportInAnotherProcess {
  private ExportInAnotherProcess() {}

  public static void main(String[] args) {
    AtomicInteger exports = new AtomicInteger();
    long start = System.nanoTime();
    Path graph = OnnxExports.graphFor(Path.of(args[0]), Path.of(args[1]), line -> {
      if (line.startsWith("exporting")) {
        exports.incrementAndGet();
      }
    });
    System.out.println("graph=" + graph + " exports=" + exports.get() + " waitedMs=" + (System.nanoTime() - start) / 1_000_000);
  }
}
