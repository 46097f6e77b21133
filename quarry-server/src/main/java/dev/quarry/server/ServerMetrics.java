package dev.quarry.server;

import java.util.Arrays;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * Request counts, latency quantiles and micro-batch sizes, exposed as Prometheus text at
 * GET /metrics. Latencies are kept in a fixed ring of the most recent 4,096 requests per route,
 * which bounds memory and reflects current behaviour.
 */
final class ServerMetrics {
  private static final int WINDOW = 4096;
  private final Map<String, LongAdder> requests = new ConcurrentHashMap<>();
  private final Map<String, Ring> latencies = new ConcurrentHashMap<>();
  private final LongAdder batches = new LongAdder();
  private final LongAdder batchedQueries = new LongAdder();
  private final AtomicLong maxBatch = new AtomicLong();
  private final LongAdder embedBatches = new LongAdder();
  private final LongAdder embedRequests = new LongAdder();
  private final LongAdder rerankBatches = new LongAdder();
  private final LongAdder rerankedPairs = new LongAdder();
  private final AtomicLong maxRerankBatch = new AtomicLong();

  void record(String route, int status, long nanos) {
    requests.computeIfAbsent(route + "\",status=\"" + status, k -> new LongAdder()).increment();
    latencies.computeIfAbsent(route, k -> new Ring()).add(nanos);
  }

  void batch(int size) {
    batches.increment();
    batchedQueries.add(size);
    maxBatch.accumulateAndGet(size, Math::max);
  }

  /** One micro-batch of embedding requests (/encode, /v1/embeddings, /embed) of {@code size} requests. */
  void embedBatch(int size) {
    embedBatches.increment();
    embedRequests.add(size);
  }

  void rerankBatch(int size) {
    rerankBatches.increment();
    rerankedPairs.add(size);
    maxRerankBatch.accumulateAndGet(size, Math::max);
  }

  String prometheus() {
    StringBuilder sb = new StringBuilder();
    sb.append("# TYPE quarry_requests_total counter\n");
    requests.forEach((k, v) -> sb.append("quarry_requests_total{route=\"").append(k).append("\"} ").append(v.sum()).append('\n'));
    sb.append("# TYPE quarry_request_seconds summary\n");
    latencies.forEach((route, ring) -> {
      long[] s = ring.snapshot();
      for (double q : new double[] {0.5, 0.99}) {
        sb.append(String.format(Locale.ROOT, "quarry_request_seconds{route=\"%s\",quantile=\"%s\"} %.6f%n", route, q,
            s.length == 0 ? 0 : s[Math.min(s.length - 1, (int) (q * s.length))] / 1e9));
      }
    });
    sb.append("# TYPE quarry_encode_batches_total counter\nquarry_encode_batches_total ").append(batches.sum()).append('\n');
    sb.append("# TYPE quarry_encode_batched_queries_total counter\nquarry_encode_batched_queries_total ")
        .append(batchedQueries.sum()).append('\n');
    sb.append("# TYPE quarry_encode_batch_size_max gauge\nquarry_encode_batch_size_max ").append(maxBatch.get()).append('\n');
    sb.append("# TYPE quarry_embed_batches_total counter\nquarry_embed_batches_total ").append(embedBatches.sum()).append('\n');
    sb.append("# TYPE quarry_embed_batched_requests_total counter\nquarry_embed_batched_requests_total ").append(embedRequests.sum())
        .append('\n');
    sb.append("# TYPE quarry_rerank_batches_total counter\nquarry_rerank_batches_total ").append(rerankBatches.sum()).append('\n');
    sb.append("# TYPE quarry_reranked_pairs_total counter\nquarry_reranked_pairs_total ").append(rerankedPairs.sum()).append('\n');
    sb.append("# TYPE quarry_rerank_batch_size_max gauge\nquarry_rerank_batch_size_max ").append(maxRerankBatch.get()).append('\n');
    return sb.toString();
  }

  private static final class Ring {
    private final long[] values = new long[WINDOW];
    private long count;

    synchronized void add(long v) {
      values[(int) (count++ % WINDOW)] = v;
    }

    synchronized long[] snapshot() {
      long[] s = Arrays.copyOf(values, (int) Math.min(count, WINDOW));
      Arrays.sort(s);
      return s;
    }
  }
}
