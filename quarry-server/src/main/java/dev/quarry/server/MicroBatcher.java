package dev.quarry.server;

import static dev.quarry.server.HttpExchanges.HttpError;

import dev.quarry.QuarryFailure;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import java.util.function.IntConsumer;

/**
 * Runs concurrent requests' inputs together: query texts to encode, or (query, passage) pairs to
 * rerank. Inputs queue up, and each dispatcher thread takes whatever is waiting (up to {@code
 * maxBatch}, waiting at most {@code maxWaitMicros} for a batch to fill) and runs it in one
 * inference. Under load the per-input cost falls with the batch size; a lone input waits only the
 * short window.
 *
 * <p>Invariants that keep a fault in one query from reaching others: the queue is bounded (a full
 * queue is refused with 503, not buffered without end); a query whose caller gave up is skipped, not
 * encoded; a batch that fails is retried one query at a time, so a bad text fails only its own
 * request; and a dispatcher survives any {@link Throwable}, an {@link OutOfMemoryError} included.
 */
final class MicroBatcher<I, O> implements AutoCloseable {
  private static final System.Logger LOG = System.getLogger(MicroBatcher.class.getName());

  /** What the query batcher calls: one embedding per text, in order. */
  interface Encoder {
    float[][] encode(List<String> texts);
  }

  /** What the dispatchers call: one output per input, in order. */
  interface Work<I, O> {
    List<O> run(List<I> inputs);
  }

  /** An input waiting for a batch; {@code clientGone} tells whether its request's client has left. */
  private record Pending<I, O>(I input, CompletableFuture<O> result, long deadlineNanos, BooleanSupplier clientGone) {}

  private final Work<I, O> work;
  private final String what;
  private final BlockingQueue<Pending<I, O>> queue;
  private final int maxBatch;
  private final long maxWaitNanos;
  private final IntConsumer batchSizes;
  private final List<Thread> dispatchers = new ArrayList<>();
  private final AtomicReference<String> lastFailure = new AtomicReference<>();
  private volatile boolean closed;

  /**
   * @param maxQueued queries that may wait at once
   * @param batchSizes told the size of every batch encoded (for metrics)
   */
  MicroBatcher(String what, Work<I, O> work, int dispatcherThreads, int maxBatch, int maxWaitMicros, int maxQueued,
      IntConsumer batchSizes) {
    this.work = work;
    this.what = what;
    this.queue = new ArrayBlockingQueue<>(maxQueued);
    this.maxBatch = maxBatch;
    this.maxWaitNanos = TimeUnit.MICROSECONDS.toNanos(maxWaitMicros);
    this.batchSizes = batchSizes;
    for (int i = 0; i < dispatcherThreads; i++) {
      Thread t = new Thread(this::loop, "quarry-batcher-" + what.replace(' ', '-') + "-" + i);
      t.setDaemon(true);
      t.start();
      dispatchers.add(t);
    }
  }

  /** The query batcher: texts in, embeddings out. */
  static MicroBatcher<String, float[]> forQueries(Encoder encoder, int dispatcherThreads, int maxBatch, int maxWaitMicros,
      int maxQueued, IntConsumer batchSizes) {
    return new MicroBatcher<>("queries to encode", texts -> Arrays.asList(encoder.encode(texts)), dispatcherThreads, maxBatch,
        maxWaitMicros, maxQueued, batchSizes);
  }

  /**
   * The input's output, computed in some micro-batch. The caller waits at most {@code timeout};
   * if it cancels the future then, the input is dropped unrun.
   *
   * @throws HttpError 503 when the queue is full or the batcher is closing
   */
  CompletableFuture<O> submit(I input, long timeout, TimeUnit unit) {
    if (closed) {
      throw new HttpError(503, "the server is shutting down");
    }
    CompletableFuture<O> f = new CompletableFuture<>();
    if (!queue.offer(new Pending<>(input, f, System.nanoTime() + unit.toNanos(timeout), RequestScope.clientGone()))) {
      throw new HttpError(503, "the server is overloaded: " + queue.size() + " " + what + " are waiting; retry shortly")
          .retryAfter(1);
    }
    return f;
  }

  /**
   * Submits the input and waits for its output: at most {@code timeoutMillis} in all, after which the
   * caller gets 503 with {@code Retry-After} and the input, if still queued, is dropped unrun.
   *
   * @param doing what the work is, for the message ("encoding the query")
   */
  O await(I input, long timeoutMillis, String doing) {
    CompletableFuture<O> f = submit(input, timeoutMillis, TimeUnit.MILLISECONDS);
    try {
      return f.get(timeoutMillis, TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      f.cancel(false);
      Thread.currentThread().interrupt();
      throw new HttpError(503, "interrupted");
    } catch (TimeoutException e) {
      f.cancel(false);
      throw new HttpError(503, doing + " took longer than " + timeoutMillis + " ms; the server is busy, retry").retryAfter(1);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof RuntimeException re) {
        throw re;
      }
      throw new QuarryFailure(doing + " failed", e.getCause());
    }
  }

  /** Why query encoding is unhealthy (a dispatcher died, or the last batch failed with an Error), or null. */
  String problem() {
    long dead = dispatchers.stream().filter(t -> !t.isAlive()).count();
    if (dead > 0 && !closed) {
      return dead + " of " + dispatchers.size() + " batcher threads (" + what + ") have stopped";
    }
    return lastFailure.get();
  }

  /** True when no dispatcher can encode any more: queries would only wait and time out. */
  boolean failed() {
    return !closed && dispatchers.stream().noneMatch(Thread::isAlive);
  }

  private void loop() {
    List<Pending<I, O>> batch = new ArrayList<>(maxBatch);
    while (!closed) {
      try {
        Pending<I, O> first = queue.poll(100, TimeUnit.MILLISECONDS);
        if (first == null) {
          continue;
        }
        batch.add(first);
        long deadline = System.nanoTime() + maxWaitNanos;
        while (batch.size() < maxBatch) {
          queue.drainTo(batch, maxBatch - batch.size());
          long left = deadline - System.nanoTime();
          if (batch.size() >= maxBatch || left <= 0) {
            break;
          }
          Pending<I, O> more = queue.poll(left, TimeUnit.NANOSECONDS);
          if (more != null) {
            batch.add(more);
          }
        }
        encode(live(batch));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        batch.forEach(p -> p.result().completeExceptionally(e));
        return;
      } catch (Throwable t) { // an Error too: this thread must outlive any one batch
        batch.forEach(p -> p.result().completeExceptionally(t));
        LOG.log(System.Logger.Level.ERROR, "batch of " + what + " failed", t);
      } finally {
        batch.clear();
      }
    }
  }

  /** Drops queries whose caller has given up (cancelled), whose client has left, or whose deadline has passed. */
  private List<Pending<I, O>> live(List<Pending<I, O>> batch) {
    long now = System.nanoTime();
    List<Pending<I, O>> out = new ArrayList<>(batch.size());
    for (Pending<I, O> p : batch) {
      if (p.result().isDone()) {
        continue;
      }
      if (p.clientGone().getAsBoolean()) {
        p.result().completeExceptionally(new HttpError(503, "the client closed its connection"));
        continue;
      }
      if (now - p.deadlineNanos() > 0) {
        p.result().completeExceptionally(new HttpError(503, "the request waited too long in the queue of " + what + "; retry")
            .retryAfter(1));
        continue;
      }
      out.add(p);
    }
    return out;
  }

  private void encode(List<Pending<I, O>> batch) {
    if (batch.isEmpty()) {
      return;
    }
    try {
      complete(batch, work.run(batch.stream().map(Pending::input).toList()));
    } catch (Throwable t) {
      if (batch.size() == 1) {
        fail(batch.get(0), t);
        return;
      }
      // Which input failed is unknown: run each alone, so only the bad one fails.
      for (Pending<I, O> p : batch) {
        try {
          complete(List.of(p), work.run(List.of(p.input())));
        } catch (Throwable single) {
          fail(p, single);
        }
      }
    }
  }

  private void complete(List<Pending<I, O>> batch, List<O> outputs) {
    batchSizes.accept(batch.size());
    lastFailure.set(null);
    for (int i = 0; i < batch.size(); i++) {
      batch.get(i).result().complete(outputs.get(i));
    }
  }

  private void fail(Pending<I, O> p, Throwable t) {
    if (t instanceof Error) {
      lastFailure.set("the last batch of " + what + " failed with " + t.getClass().getSimpleName());
      LOG.log(System.Logger.Level.ERROR, "a batch of " + what + " failed", t);
    }
    p.result().completeExceptionally(t);
  }

  /**
   * Stops taking inputs, answers those still queued with 503 unrun (at shutdown nobody should wait
   * for a backlog), and waits for the batch being computed: the model is closed after this returns.
   */
  @Override
  public void close() {
    closed = true;
    List<Pending<I, O>> queued = new ArrayList<>();
    queue.drainTo(queued);
    for (Pending<I, O> p : queued) {
      p.result().completeExceptionally(new HttpError(503, "the server is shutting down"));
    }
    for (Thread t : dispatchers) {
      boolean interrupted = false;
      while (t.isAlive()) {
        try {
          t.join(); // no timeout: the model is closed after this returns, and a dispatcher may be using it
        } catch (InterruptedException e) {
          interrupted = true;
        }
      }
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
    }
    queue.drainTo(queued = new ArrayList<>()); // offered while the dispatchers stopped
    for (Pending<I, O> p : queued) {
      p.result().completeExceptionally(new HttpError(503, "the server is shutting down"));
    }
  }
}
