package dev.quarry.server;

import dev.quarry.encode.Embeddings;
import dev.quarry.encode.EncodeOptions;
import dev.quarry.encode.SentenceTransformer;
import dev.quarry.model.Routes;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.IntConsumer;

/**
 * Embeds the texts of {@code /encode}, {@code /v1/embeddings} and {@code /embed} through one
 * micro-batcher: concurrent requests are encoded together (one queue slot per request, so a request
 * of many texts is never split across the queue limit), one inference at a time, the model's
 * session spreading each over every core. Requests asking for different prompts or roles share a
 * dispatch but not an encode call.
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

  private final SentenceTransformer model;
  private final MicroBatcher<Job, Result> batcher;

  EmbeddingService(SentenceTransformer model, ServerConfig config, IntConsumer batchSizes) {
    this.model = model;
    this.batcher = new MicroBatcher<>("texts to embed", this::run, 1, config.maxBatch(), config.maxWaitMicros(),
        config.limits().maxQueuedQueries(), batchSizes);
  }

  /**
   * The job's vectors from some micro-batch. The job waits at most {@code timeoutMillis} in all; one
   * still queued then is dropped unrun.
   */
  Result embed(Job job, long timeoutMillis) {
    return batcher.await(job, timeoutMillis, "embedding");
  }

  /** Why embedding is unhealthy, or null. */
  String problem() {
    return batcher.problem();
  }

  /** Jobs of the same role and prompt run as one encode call; results go back in job order. */
  private List<Result> run(List<Job> jobs) {
    Map<String, List<Integer>> groups = new LinkedHashMap<>();
    for (int j = 0; j < jobs.size(); j++) {
      groups.computeIfAbsent(jobs.get(j).role() + "\u0000" + jobs.get(j).promptName(), k -> new ArrayList<>()).add(j);
    }
    Result[] out = new Result[jobs.size()];
    for (List<Integer> members : groups.values()) {
      Job first = jobs.get(members.get(0));
      List<String> texts = new ArrayList<>();
      for (int j : members) {
        texts.addAll(jobs.get(j).texts());
      }
      Embeddings e = model.encode(first.role().task, texts, options(first));
      int at = 0;
      for (int j : members) {
        int n = jobs.get(j).texts().size();
        out[j] = new Result(Arrays.copyOfRange(e.floats(), at, at + n), Arrays.copyOfRange(e.tokenCounts(), at, at + n));
        at += n;
      }
    }
    return Arrays.asList(out);
  }

  private EncodeOptions options(Job job) {
    EncodeOptions options = EncodeOptions.defaults();
    String prompt = job.promptName() != null ? job.promptName()
        : job.role() == Role.QUERY ? model.queryPromptName() : job.role() == Role.DOCUMENT ? model.documentPromptName() : null;
    return prompt == null ? options : options.withPromptName(prompt);
  }

  @Override
  public void close() {
    batcher.close();
  }
}
