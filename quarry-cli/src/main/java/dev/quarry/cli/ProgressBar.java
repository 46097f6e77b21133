package dev.quarry.cli;

import dev.quarry.encode.ProgressListener;
import java.io.PrintStream;
import java.util.Locale;

/**
 * A text progress bar on stderr: redrawn in place on a terminal, a line every few seconds
 * otherwise (CI logs), with rate and ETA.
 */
final class ProgressBar implements ProgressListener {
  private static final int WIDTH = 30;
  private final PrintStream out;
  private final String unit;
  private final boolean terminal;
  private final long start = System.nanoTime();
  private long lastPrint;
  /** The last line's counts: a finished bar is printed once, however often it is told. */
  private long lastDone = -1;
  private long lastSecond = -1;

  ProgressBar(PrintStream out, String unit) {
    this.out = out;
    this.unit = unit;
    this.terminal = System.console() != null;
  }

  @Override
  public void onProgress(int done, int total) {
    onProgress(done, total, 0, null);
  }

  /** As {@link #onProgress(int, int)}, with a second count and its rate ({@code 1200 chunks 35.2/s}) when {@code secondUnit} is given. */
  public synchronized void onProgress(int done, int total, long second, String secondUnit) {
    long now = System.nanoTime();
    boolean unknownTotal = total < 0; // a stream whose length is not known ahead: counts and rates only
    boolean finished = !unknownTotal && done >= total;
    long interval = terminal ? 100_000_000L : 5_000_000_000L;
    if ((!finished && now - lastPrint < interval) || (finished && done == lastDone && second == lastSecond)) {
      return;
    }
    lastDone = done;
    lastSecond = second;
    lastPrint = now;
    double secs = (now - start) / 1e9;
    double rate = done / Math.max(secs, 1e-9);
    int filled = total <= 0 ? WIDTH : (int) ((long) WIDTH * done / total);
    long eta = rate > 0 ? Math.round((total - done) / rate) : 0;
    String line = (unknownTotal ? String.format(Locale.ROOT, "%d %s  %.1f %s/s", done, unit, rate, unit)
        : String.format(Locale.ROOT, "[%s%s] %d/%d %s  %.1f %s/s  ETA %d:%02d",
            "#".repeat(filled), " ".repeat(WIDTH - filled), done, total, unit, rate, unit, eta / 60, eta % 60))
        + (secondUnit == null ? "" : String.format(Locale.ROOT, "  %d %s (%.1f/s)", second, secondUnit, second / Math.max(secs, 1e-9)));
    out.print(terminal ? "\r" + line + (finished ? "\n" : "") : line + "\n");
    out.flush();
  }
}
