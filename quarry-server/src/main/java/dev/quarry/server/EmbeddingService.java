package dev.quarry.server;

import static dev.quarry.server.HttpExchanges.HttpError;

import dev.quarry.encode.Embeddings;
import dev.quarry.encode.EncodeOptions;
import dev.quarry.encode.SentenceTransformer;
import dev.quarry.model.Routes;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;
import java.util.function.IntConsumer;

/**
 * Embeds the texts of {@code /encode}, {@code /v1/embeddings}, {@code /embed} and document writes
 * through one micro-batcher: concurrent requests are encoded together (one queue slot per request,
 * so a request of many texts is never split across the queue limit), one inference at a time, the
 * model's session spreading each over every core. Requests asking for different prompts or roles
 * share a dispatch but not an encode call.
 *
 * <p>Admission is by work, not by count: a request is refused at once when the characters already
 * admitted would, at the rate measured on recent model calls, keep it waiting past half its time
 * limit. A request that does get in is therefore answered in time, and the work of one that gave
 * up is dropped between chunks instead of being computed for nobody.
 */
final class EmbeddingService implements AutoCloseable {
  /** Which side of an asymmetric model a text is: its prompt and (for a Router model) its route. */
  enum Role {
    /** The model's default prompt and default route, as plain {@code encode}. */
    DEFAULT(null),
    /** {@code encode_query}: the query prompt and route. */
    QUERY(Routes.QUERY),
    /** {@code encode_document}: the document prompt and route. */
    DOCUMENT(Routes.DOCUMENT);

    final String task;

    Role(String task) {
      this.task = task;
    }
  }

  /** One request's texts; {@code promptName} overrides the role's prompt when not null. */
  record Job(List<String> texts, Role role, String promptName) {}

  /** One request's vectors, as the model outputs them, and the tokens each text was encoded from. */
  record Result(float[][] vectors, int[] tokenCounts) {
    long totalTokens() {
      return Arrays.stream(tokenCounts).asLongStream().sum();
    }
  }

  /**
   * Texts encoded in one model call: between two calls the service drops the texts of requests that
   * were abandoned (timed out, or the server is stopping), so no call runs long for nobody.
   */
  static final int CHUNK_TEXTS = 64;

  /** Before the first model call is measured, the backlog admitted at most (a few small requests). */
  static final long UNMEASURED_BACKLOG_CHARS = 50_000;

  /** A queued job and how to tell that nobody waits for it any more. */
  private record Queued(Job job, long chars, long deadlineNanos, AtomicBoolean abandoned, BooleanSupplier clientGone) {
    boolean live(long now) {
      return !abandoned.get() && !clientGone.getAsBoolean() && now - deadlineNanos < 0;
    }
  }

  private final SentenceTransformer model;
  private final MicroBatcher<Queued, Result> batcher;
  /** Characters of text admitted and not yet answered. */
  private long backlogChars;
  /** Characters encoded per second, averaged over recent model calls; 0 until the first is measured. */
  private volatile double charsPerSecond;
  private volatile boolean closing;
  private final java.util.concurrent.atomic.AtomicLong textsEncoded = new java.util.concurrent.atomic.AtomicLong();

  EmbeddingService(SentenceTransformer model, ServerConfig config, IntConsumer batchSizes) {
    this.model = model;
    this.batcher = new MicroBatcher<>("texts to embed", this::run, 1, config.maxBatch(), config.maxWaitMicros(),
        config.limits().maxQueuedQueries(), batchSizes);
  }

  /**
   * The job's vectors from some micro-batch. A job whose texts would wait longer than half of
   * {@code timeoutMillis} behind the work already admitted (at the measured rate) is refused with
   * 503 at once: the server takes on only what it can answer in time. An admitted job waits at most
   * {@code timeoutMillis} in all; one still queued or part-way then, or whose client has closed its
   * connection, is dropped before its next chunk.
   */
  Result embed(Job job, long timeoutMillis) {
    long chars = job.texts().stream().mapToLong(String::length).sum();
    Reservation reserved = RequestScope.reservation();
    if (reserved != null) {
      reserved.resize(chars); // admitted from its declared size; now its true size
    } else {
      admit(chars, timeoutMillis);
    }
    Queued q = new Queued(job, chars, System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis), new AtomicBoolean(),
        RequestScope.clientGone());
    try {
      Result r = batcher.await(q, timeoutMillis, "embedding");
      if (r == null) { // dropped part-way (deadline, or the client left), before the caller's own wait ended
        throw new HttpError(503, "embedding took longer than " + timeoutMillis + " ms; the server is busy, retry").retryAfter(1);
      }
      return r;
    } finally {
      q.abandoned().set(true);
      if (reserved != null) {
        reserved.close();
      } else {
        release(chars);
      }
    }
  }

  /**
   * Admits a request from its body's declared size, before the body is read: the characters are
   * counted in the backlog at once, so that of a burst of requests arriving together only as many
   * as fit are read and parsed, and the others are refused from their headers. The server closes
   * the reservation when the request ends; {@link #embed} on the same thread resizes it to the
   * request's true size.
   *
   * @throws HttpError 503 with {@code Retry-After} when the request would wait too long
   */
  synchronized Reservation reserve(long chars, long timeoutMillis) {
    admit(chars, timeoutMillis);
    return new Reservation(chars);
  }

  /** Characters held in the backlog for one request; closing gives them back (once). */
  final class Reservation implements AutoCloseable {
    private long chars;
    private boolean closed;

    private Reservation(long chars) {
      this.chars = chars;
    }

    void resize(long actual) {
      synchronized (EmbeddingService.this) {
        if (!closed) {
          backlogChars += actual - chars;
          chars = actual;
        }
      }
    }

    @Override
    public void close() {
      synchronized (EmbeddingService.this) {
        if (!closed) {
          closed = true;
          backlogChars -= chars;
        }
      }
    }
  }

  private synchronized void admit(long chars, long timeoutMillis) {
    HttpError refused = refusal(chars, timeoutMillis);
    if (refused != null) {
      throw refused;
    }
    backlogChars += chars;
  }

  /** The 503 a request of about {@code chars} characters would get now, or null if it would be admitted. */
  private synchronized HttpError refusal(long chars, long timeoutMillis) {
    if (backlogChars == 0) {
      return null;
    }
    double rate = charsPerSecond;
    if (rate == 0 && backlogChars + chars <= UNMEASURED_BACKLOG_CHARS) {
      return null; // nothing measured yet: small requests side by side are taken
    }
    double waitMillis = rate > 0 ? (backlogChars + chars) / rate * 1000 : Double.POSITIVE_INFINITY;
    if (waitMillis <= timeoutMillis / 2.0) {
      return null;
    }
    long retry = rate > 0 ? Math.max(1, (long) Math.ceil(backlogChars / rate)) : 1;
    return new HttpError(503, "the server is busy embedding " + backlogChars + " characters of earlier requests"
        + (rate > 0 ? String.format(java.util.Locale.ROOT, " (about %.1f s of work)", backlogChars / rate) : "")
        + "; retry shortly").retryAfter((int) Math.min(retry, 60));
  }

  private synchronized void release(long chars) {
    backlogChars -= chars;
  }

  /** Texts run through the model so far (a dropped request's unrun texts are not counted). */
  long textsEncoded() {
    return textsEncoded.get();
  }

  /** Why embedding is unhealthy, or null. */
  String problem() {
    return batcher.problem();
  }

  /**
   * Jobs of the same role and prompt are encoded together, {@link #CHUNK_TEXTS} texts per model
   * call; results go back in job order, null for a job dropped part-way.
   */
  private List<Result> run(List<Queued> jobs) {
    Map<String, List<Integer>> groups = new LinkedHashMap<>();
    for (int j = 0; j < jobs.size(); j++) {
      Job job = jobs.get(j).job();
      groups.computeIfAbsent(job.role() + "\u0000" + job.promptName(), k -> new ArrayList<>()).add(j);
    }
    float[][][] vectors = new float[jobs.size()][][];
    int[][] tokens = new int[jobs.size()][];
    for (int j = 0; j < jobs.size(); j++) {
      vectors[j] = new float[jobs.get(j).job().texts().size()][];
      tokens[j] = new int[vectors[j].length];
    }
    boolean[] dropped = new boolean[jobs.size()];
    for (List<Integer> members : groups.values()) {
      Job first = jobs.get(members.get(0)).job();
      List<int[]> slots = new ArrayList<>(); // {job, text}
      for (int j : members) {
        for (int t = 0; t < jobs.get(j).job().texts().size(); t++) {
          slots.add(new int[] {j, t});
        }
      }
      for (int from = 0; from < slots.size(); from += CHUNK_TEXTS) {
        long now = System.nanoTime();
        List<int[]> chunk = new ArrayList<>();
        List<String> texts = new ArrayList<>();
        long chars = 0;
        for (int[] slot : slots.subList(from, Math.min(slots.size(), from + CHUNK_TEXTS))) {
          if (closing || !jobs.get(slot[0]).live(now)) {
            dropped[slot[0]] = true;
            continue;
          }
          String text = jobs.get(slot[0]).job().texts().get(slot[1]);
          chunk.add(slot);
          texts.add(text);
          chars += text.length();
        }
        if (texts.isEmpty()) {
          continue;
        }
        long start = System.nanoTime();
        Embeddings e = model.encode(first.role().task, texts, options(first));
        measure(chars, System.nanoTime() - start);
        textsEncoded.addAndGet(texts.size());
        for (int i = 0; i < chunk.size(); i++) {
          int[] slot = chunk.get(i);
          vectors[slot[0]][slot[1]] = e.floats()[i];
          tokens[slot[0]][slot[1]] = e.tokenCounts()[i];
        }
      }
    }
    List<Result> out = new ArrayList<>(jobs.size());
    for (int j = 0; j < jobs.size(); j++) {
      out.add(dropped[j] ? null : new Result(vectors[j], tokens[j]));
    }
    return out;
  }

  private void measure(long chars, long nanos) {
    double rate = chars / Math.max(1e-3, nanos / 1e9);
    double old = charsPerSecond;
    charsPerSecond = old == 0 ? rate : 0.7 * old + 0.3 * rate;
  }

  private EncodeOptions options(Job job) {
    EncodeOptions options = EncodeOptions.defaults();
    String prompt = job.promptName() != null ? job.promptName()
        : job.role() == Role.QUERY ? model.queryPromptName() : job.role() == Role.DOCUMENT ? model.documentPromptName() : null;
    return prompt == null ? options : options.withPromptName(prompt);
  }

  /** Refuses new jobs, cancels queued ones, and stops a running one at its next chunk. */
  @Override
  public void close() {
    closing = true;
    batcher.close();
  }
}
