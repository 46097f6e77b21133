package dev.quarry.server;

import static dev.quarry.server.HttpExchanges.HttpError;

import dev.quarry.QuarryFailure;
import dev.quarry.rerank.CrossEncoder;
import dev.quarry.rerank.TextPair;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.IntConsumer;

/**
 * The cross-encoder behind {@code /search}'s rerank stage, TEI's {@code /rerank} and Cohere's
 * {@code /v1/rerank}: pairs from concurrent requests share micro-batches. It computes raw logits
 * once; each caller applies the model's activation or not ({@code raw_scores}).
 */
final class PairScorer implements AutoCloseable {
  private final CrossEncoder crossEncoder;
  private final MicroBatcher<TextPair, Float> batcher;

  /** One dispatcher: the cross-encoder's session already spreads one batch over every core. */
  PairScorer(CrossEncoder crossEncoder, int maxBatch, int maxWaitMicros, int maxQueued, IntConsumer batchSizes) {
    this.crossEncoder = crossEncoder;
    this.batcher = new MicroBatcher<>("pairs to rerank", pairs -> {
      float[][] logits = crossEncoder.logits(pairs, maxBatch);
      List<Float> first = new ArrayList<>(logits.length);
      for (float[] row : logits) {
        first.add(row[0]);
      }
      return first;
    }, 1, maxBatch, maxWaitMicros, maxQueued, batchSizes);
  }

  CrossEncoder crossEncoder() {
    return crossEncoder;
  }

  /** One score per text against the query: the activation applied unless {@code raw}. */
  float[] scores(String query, List<String> texts, boolean raw, long timeoutMillis) {
    return scores(texts.stream().map(t -> new TextPair(query, t)).toList(), raw, timeoutMillis);
  }

  /** One score per pair: the activation applied unless {@code raw}. */
  float[] scores(List<TextPair> pairs, boolean raw, long timeoutMillis) {
    List<CompletableFuture<Float>> pending = new ArrayList<>(pairs.size());
    try {
      for (TextPair p : pairs) {
        pending.add(batcher.submit(p, timeoutMillis, TimeUnit.MILLISECONDS));
      }
      long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
      float[] out = new float[pairs.size()];
      for (int i = 0; i < out.length; i++) {
        long left = Math.max(1, deadline - System.nanoTime());
        float logit = pending.get(i).get(left, TimeUnit.NANOSECONDS);
        out[i] = raw ? logit : crossEncoder.activate(logit);
      }
      return out;
    } catch (InterruptedException e) {
      pending.forEach(f -> f.cancel(false));
      Thread.currentThread().interrupt();
      throw new HttpError(503, "interrupted");
    } catch (TimeoutException e) {
      pending.forEach(f -> f.cancel(false));
      throw new HttpError(503, "reranking took longer than " + timeoutMillis + " ms; the server is busy, retry").retryAfter(1);
    } catch (ExecutionException e) {
      pending.forEach(f -> f.cancel(false));
      if (e.getCause() instanceof RuntimeException re) {
        throw re;
      }
      throw new QuarryFailure("reranking failed", e.getCause());
    } catch (RuntimeException e) { // a full queue part-way: give back the pairs already queued
      pending.forEach(f -> f.cancel(false));
      throw e;
    }
  }

  String problem() {
    return batcher.problem();
  }

  @Override
  public void close() {
    batcher.close();
  }
}
