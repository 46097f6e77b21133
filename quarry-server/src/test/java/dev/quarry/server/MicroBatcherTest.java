package dev.quarry.server;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/**
 * Fault isolation in the query micro-batcher, with an encoder that fails on cue. Ordering is made
 * deterministic with latches, not sleeps: the first batch holds the single dispatcher until the
 * test has queued what it needs.
 */
class MicroBatcherTest {
  /** An encoder whose first call waits for {@code release}, recording every text it encodes. */
  static final class Gate implements MicroBatcher.Encoder {
    final CountDownLatch entered = new CountDownLatch(1);
    final CountDownLatch release = new CountDownLatch(1);
    final List<String> seen = new CopyOnWriteArrayList<>();
    final AtomicBoolean first = new AtomicBoolean(true);
    volatile Throwable failFirstWith;

    @Override
    public float[][] encode(List<String> texts) {
      if (first.getAndSet(false)) {
        entered.countDown();
        await(release);
        if (failFirstWith instanceof Error e) {
          throw e;
        }
      }
      seen.addAll(texts);
      float[][] out = new float[texts.size()][];
      for (int i = 0; i < texts.size(); i++) {
        if (texts.get(i).contains("poison")) {
          throw new IllegalArgumentException("cannot encode " + texts.get(i));
        }
        out[i] = new float[] {texts.get(i).length()};
      }
      return out;
    }
  }

  static void await(CountDownLatch l) {
    try {
      assertTrue(l.await(30, TimeUnit.SECONDS));
    } catch (InterruptedException e) {
      throw new AssertionError(e);
    }
  }

  @Test
  void queriesThatWaitTogetherAreEncodedInOneBatch() throws Exception {
    Gate gate = new Gate();
    List<Integer> sizes = new CopyOnWriteArrayList<>();
    try (MicroBatcher<String, float[]> b = MicroBatcher.forQueries(gate, 1, 8, 0, 16, sizes::add)) {
      CompletableFuture<float[]> holder = b.submit("holder", 30, TimeUnit.SECONDS);
      await(gate.entered);
      List<CompletableFuture<float[]>> waiting = new java.util.ArrayList<>();
      for (int i = 0; i < 5; i++) {
        waiting.add(b.submit("q" + i, 30, TimeUnit.SECONDS));
      }
      gate.release.countDown();
      holder.get(30, TimeUnit.SECONDS);
      for (CompletableFuture<float[]> f : waiting) {
        assertArrayEquals(new float[] {2}, f.get(30, TimeUnit.SECONDS));
      }
      // The dispatcher was busy while five queries queued: they share one inference.
      assertEquals(List.of(1, 5), sizes);
    }
  }

  @Test
  void aDispatcherSurvivesAnOutOfMemoryError() throws Exception {
    Gate gate = new Gate();
    gate.failFirstWith = new OutOfMemoryError("simulated");
    try (MicroBatcher<String, float[]> b = MicroBatcher.forQueries(gate, 1, 8, 0, 16, n -> {})) {
      CompletableFuture<float[]> hit = b.submit("first", 30, TimeUnit.SECONDS);
      await(gate.entered);
      gate.release.countDown();
      ExecutionException e = assertThrows(ExecutionException.class, () -> hit.get(30, TimeUnit.SECONDS));
      assertInstanceOf(OutOfMemoryError.class, e.getCause());
      assertNotNull(b.problem(), "an Error is reported to /health");
      // The same (only) dispatcher still serves the next query, and health recovers.
      assertArrayEquals(new float[] {5}, b.submit("after", 30, TimeUnit.SECONDS).get(30, TimeUnit.SECONDS));
      assertNull(b.problem());
      assertFalse(b.failed());
    }
  }

  @Test
  void aBadTextFailsOnlyItsOwnRequest() throws Exception {
    Gate gate = new Gate();
    try (MicroBatcher<String, float[]> b = MicroBatcher.forQueries(gate, 1, 8, 1_000_000, 16, n -> {})) {
      CompletableFuture<float[]> holder = b.submit("holder", 30, TimeUnit.SECONDS);
      await(gate.entered);
      // Queued while the dispatcher is busy: these three go into one batch.
      CompletableFuture<float[]> a = b.submit("good one", 30, TimeUnit.SECONDS);
      CompletableFuture<float[]> bad = b.submit("poison pill", 30, TimeUnit.SECONDS);
      CompletableFuture<float[]> c = b.submit("good two!", 30, TimeUnit.SECONDS);
      gate.release.countDown();
      assertArrayEquals(new float[] {6}, holder.get(30, TimeUnit.SECONDS));
      assertArrayEquals(new float[] {8}, a.get(30, TimeUnit.SECONDS));
      assertArrayEquals(new float[] {9}, c.get(30, TimeUnit.SECONDS));
      ExecutionException e = assertThrows(ExecutionException.class, () -> bad.get(30, TimeUnit.SECONDS));
      assertTrue(e.getCause().getMessage().contains("poison"), e.getCause().toString());
    }
  }

  @Test
  void aQueryWhoseCallerGaveUpIsNotEncoded() throws Exception {
    Gate gate = new Gate();
    try (MicroBatcher<String, float[]> b = MicroBatcher.forQueries(gate, 1, 8, 0, 16, n -> {})) {
      CompletableFuture<float[]> holder = b.submit("holder", 30, TimeUnit.SECONDS);
      await(gate.entered);
      CompletableFuture<float[]> abandoned = b.submit("abandoned", 30, TimeUnit.SECONDS);
      CompletableFuture<float[]> expired = b.submit("expired", 1, TimeUnit.NANOSECONDS);
      CompletableFuture<float[]> kept = b.submit("kept", 30, TimeUnit.SECONDS);
      abandoned.cancel(false); // what QuarryServer does when its wait times out
      gate.release.countDown();
      holder.get(30, TimeUnit.SECONDS);
      kept.get(30, TimeUnit.SECONDS);
      ExecutionException e = assertThrows(ExecutionException.class, () -> expired.get(30, TimeUnit.SECONDS));
      assertTrue(e.getCause().getMessage().contains("waited too long"), e.getCause().toString());
      assertEquals(List.of("holder", "kept"), gate.seen, "dropped queries must not be encoded");
    }
  }

  @Test
  void aQueryWhoseClientLeftIsNotEncoded() throws Exception {
    Gate gate = new Gate();
    try (MicroBatcher<String, float[]> b = MicroBatcher.forQueries(gate, 1, 8, 0, 16, n -> {})) {
      CompletableFuture<float[]> holder = b.submit("holder", 30, TimeUnit.SECONDS);
      await(gate.entered);
      java.util.concurrent.atomic.AtomicBoolean gone = new java.util.concurrent.atomic.AtomicBoolean();
      RequestScope.enter(gone); // as the server's handler thread does for its request
      CompletableFuture<float[]> left;
      try {
        left = b.submit("left", 30, TimeUnit.SECONDS);
      } finally {
        RequestScope.exit();
      }
      CompletableFuture<float[]> kept = b.submit("kept", 30, TimeUnit.SECONDS);
      gone.set(true); // what ClientWatch does when the connection is closed
      gate.release.countDown();
      holder.get(30, TimeUnit.SECONDS);
      kept.get(30, TimeUnit.SECONDS);
      ExecutionException e = assertThrows(ExecutionException.class, () -> left.get(30, TimeUnit.SECONDS));
      assertTrue(e.getCause().getMessage().contains("closed its connection"), e.getCause().toString());
      assertEquals(List.of("holder", "kept"), gate.seen, "the query of a client that left must not be encoded");
    }
  }

  @Test
  void aFullQueueIsRefusedWith503AndRetryAfter() throws Exception {
    Gate gate = new Gate();
    try (MicroBatcher<String, float[]> b = MicroBatcher.forQueries(gate, 1, 8, 0, 2, n -> {})) {
      b.submit("holder", 30, TimeUnit.SECONDS);
      await(gate.entered);
      b.submit("q1", 30, TimeUnit.SECONDS);
      b.submit("q2", 30, TimeUnit.SECONDS);
      HttpExchanges.HttpError e = assertThrows(HttpExchanges.HttpError.class, () -> b.submit("q3", 30, TimeUnit.SECONDS));
      assertEquals(503, e.status);
      assertEquals(1, e.retryAfterSeconds);
      gate.release.countDown();
    }
  }
}
