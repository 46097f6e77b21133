package dev.quarry.io;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Copies a network stream with a read timeout. java.net.http has a timeout for the response
 * headers only; a body that stops arriving would block the reading thread forever. A watchdog
 * closes the stream when no byte has come for {@code timeout}, which ends the blocked read.
 */
public final class StallGuard {
  private static final ScheduledExecutorService WATCHDOG = Executors.newSingleThreadScheduledExecutor(r -> {
    Thread t = new Thread(r, "quarry-stall-guard");
    t.setDaemon(true);
    return t;
  });

  private StallGuard() {}

  /**
   * Copies {@code in} to {@code out}; returns the bytes copied.
   *
   * @throws IOException also when the stream stalled for longer than {@code timeout} (the bytes
   *     copied until then are in {@code out})
   */
  public static long copy(InputStream in, OutputStream out, Duration timeout) throws IOException {
    AtomicLong lastProgress = new AtomicLong(System.nanoTime());
    AtomicBoolean stalled = new AtomicBoolean();
    long limit = timeout.toNanos();
    long period = Math.max(10, Math.min(1000, timeout.toMillis() / 4));
    ScheduledFuture<?> watch = WATCHDOG.scheduleAtFixedRate(() -> {
      if (System.nanoTime() - lastProgress.get() > limit && stalled.compareAndSet(false, true)) {
        try {
          in.close();
        } catch (IOException ignored) {
          // closing is all we can do
        }
      }
    }, period, period, TimeUnit.MILLISECONDS);
    long total = 0;
    try {
      byte[] buf = new byte[1 << 16];
      for (int n; (n = in.read(buf)) >= 0; ) {
        out.write(buf, 0, n);
        total += n;
        lastProgress.set(System.nanoTime());
      }
    } catch (IOException e) {
      if (stalled.get()) {
        throw new IOException("no data for " + timeout.toSeconds() + " s (read timeout) after " + total + " bytes", e);
      }
      throw e;
    } finally {
      watch.cancel(false);
    }
    if (stalled.get()) {
      throw new IOException("no data for " + timeout.toSeconds() + " s (read timeout) after " + total + " bytes");
    }
    return total;
  }
}
