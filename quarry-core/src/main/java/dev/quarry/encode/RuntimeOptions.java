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
 * <p>{@code maxBatchTokens} caps a batch's padded size (texts × its longest text) below the
 * {@code batchSize} a caller asks for, as TEI's {@code --max-batch-tokens} does. A batch's
 * activations grow with it (a 32 × 256-token batch of a 384-d model holds 100 MB of attention
 * scores per layer), and once they spill out of the CPU caches every elementwise operator runs at
 * memory speed: on this project's 2-core machine all-MiniLM-L6-v2 encoded 256-token passages 25 %
 * faster in batches of 2 than of 32, and 128-token ones 50 % faster in batches of 4 (fp32; int8
 * 7–15 %). Short texts (queries) still fill whole batches.
 *
 * @param threads cores to use (default: all available processors)
 * @param concurrentBatches run batches in parallel, one thread each, instead of splitting each one
 * @param maxBatchTokens most padded tokens per batch (at least one text per batch); 0 for no cap
 */
public record RuntimeOptions(int threads, boolean concurrentBatches, int maxBatchTokens) {
  /** Padded tokens per batch by default: measured best for 128- and 256-token passages (see above). */
  public static final int DEFAULT_MAX_BATCH_TOKENS = 512;

  public RuntimeOptions {
    if (threads <= 0) {
      throw new QuarryException("thread count must be positive, got " + threads);
    }
    if (maxBatchTokens < 0) {
      throw new QuarryException("max batch tokens must be positive (or 0 for no cap), got " + maxBatchTokens);
    }
  }

  public static RuntimeOptions defaults() {
    return new RuntimeOptions(Runtime.getRuntime().availableProcessors(), true, DEFAULT_MAX_BATCH_TOKENS);
  }

  public RuntimeOptions withThreads(int n) {
    return new RuntimeOptions(n, concurrentBatches, maxBatchTokens);
  }

  public RuntimeOptions withConcurrentBatches(boolean v) {
    return new RuntimeOptions(threads, v, maxBatchTokens);
  }

  public RuntimeOptions withMaxBatchTokens(int v) {
    return new RuntimeOptions(threads, concurrentBatches, v);
  }

  /** Texts in a batch whose longest text has {@code longest} tokens: {@code batchSize}, or fewer under the token cap. */
  public int batchSizeFor(int batchSize, int longest) {
    return maxBatchTokens == 0 ? batchSize : Math.max(1, Math.min(batchSize, maxBatchTokens / Math.max(1, longest)));
  }
}
