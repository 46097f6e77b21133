package dev.quarry.encode;

import dev.quarry.QuarryException;

/**
 * How inference uses the CPU.
 *
 * <p>With {@code concurrentBatches}, the session runs each inference on one thread and up to
 * {@code threads} batches run at once; otherwise one batch at a time is split over {@code threads}
 * intra-op threads. On small encoders (384-d) ONNX Runtime's intra-op split of short GEMMs
 * leaves cores idle, so whole batches in parallel win for throughput; one text at a time
 * (an interactive query) is faster intra-op. See the benchmark in quarry-bench.
 *
 * @param threads cores to use (default: all available processors)
 * @param concurrentBatches run batches in parallel, one thread each, instead of splitting each one
 */
public record RuntimeOptions(int threads, boolean concurrentBatches) {
  public RuntimeOptions {
    if (threads <= 0) {
      throw new QuarryException("thread count must be positive, got " + threads);
    }
  }

  public static RuntimeOptions defaults() {
    return new RuntimeOptions(Runtime.getRuntime().availableProcessors(), true);
  }

  public RuntimeOptions withThreads(int n) {
    return new RuntimeOptions(n, concurrentBatches);
  }

  public RuntimeOptions withConcurrentBatches(boolean v) {
    return new RuntimeOptions(threads, v);
  }
}
