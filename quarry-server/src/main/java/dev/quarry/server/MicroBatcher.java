package dev.quarry.server;

import dev.quarry.QuarryException;
import dev.quarry.encode.EncodeOptions;
import dev.quarry.encode.SentenceTransformer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.IntConsumer;

/**
 * Encodes concurrent queries together: requests queue up, and each dispatcher thread takes
 * whatever is waiting (up to {@code maxBatch}, waiting at most {@code maxWaitMicros} for a batch to
 * fill) and encodes it in one inference. Under load the per-query cost falls with the batch size;
 * a lone query waits only the short window.
 */
final class MicroBatcher implements AutoCloseable {
  private record Pending(String text, CompletableFuture<float[]> result) {}

  private final SentenceTransformer model;
  private final BlockingQueue<Pending> queue = new LinkedBlockingQueue<>();
  private final int maxBatch;
  private final long maxWaitNanos;
  private final IntConsumer batchSizes;
  private final List<Thread> dispatchers = new ArrayList<>();
  private volatile boolean closed;

  /** @param batchSizes told the size of every batch encoded (for metrics) */
  MicroBatcher(SentenceTransformer model, int dispatcherThreads, int maxBatch, int maxWaitMicros, IntConsumer batchSizes) {
    this.model = model;
    this.maxBatch = maxBatch;
    this.maxWaitNanos = TimeUnit.MICROSECONDS.toNanos(maxWaitMicros);
    this.batchSizes = batchSizes;
    for (int i = 0; i < dispatcherThreads; i++) {
      Thread t = new Thread(this::loop, "quarry-batcher-" + i);
      t.setDaemon(true);
      t.start();
      dispatchers.add(t);
    }
  }

  /** The query's embedding (with the model's query prompt), computed in some micro-batch. */
  CompletableFuture<float[]> encodeQuery(String text) {
    if (closed) {
      return CompletableFuture.failedFuture(new QuarryException("server is shutting down"));
    }
    CompletableFuture<float[]> f = new CompletableFuture<>();
    queue.add(new Pending(text, f));
    return f;
  }

  private void loop() {
    List<Pending> batch = new ArrayList<>(maxBatch);
    while (!closed || !queue.isEmpty()) {
      try {
        Pending first = queue.poll(100, TimeUnit.MILLISECONDS);
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
          Pending more = queue.poll(left, TimeUnit.NANOSECONDS);
          if (more != null) {
            batch.add(more);
          }
        }
        encode(batch);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      } finally {
        batch.clear();
      }
    }
  }

  private void encode(List<Pending> batch) {
    try {
      float[][] vectors = model.encodeQueries(batch.stream().map(Pending::text).toList(),
          EncodeOptions.defaults().withBatchSize(maxBatch));
      batchSizes.accept(batch.size());
      for (int i = 0; i < batch.size(); i++) {
        batch.get(i).result().complete(vectors[i]);
      }
    } catch (RuntimeException e) {
      batch.forEach(p -> p.result().completeExceptionally(e));
    }
  }

  /** Stops taking queries, encodes those already queued, and waits for the dispatchers. */
  @Override
  public void close() {
    closed = true;
    for (Thread t : dispatchers) {
      try {
        t.join(10_000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
