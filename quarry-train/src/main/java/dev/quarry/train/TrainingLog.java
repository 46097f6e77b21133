package dev.quarry.train;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import dev.quarry.QuarryException;
import dev.quarry.data.JsonlRecords;
import dev.quarry.io.Json;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The run's history: one record per optimizer step and per evaluation, kept in memory (it goes
 * into checkpoints, so a resumed run has the whole curve) and appended to a JSONL file as it
 * happens.
 */
public final class TrainingLog {
  /** One optimizer step. {@code step} is 1-based (the number of steps done after it). */
  public record StepRecord(int step, int epoch, double loss, double learningRate, double gradNorm, double seconds) {}

  /** One evaluation: the metrics of the loss's similarity function, after {@code step} steps. */
  public record EvalRecord(int step, int epoch, Map<String, Double> metrics) {
    public double ndcg10() {
      return metrics.getOrDefault("ndcg@10", Double.NaN);
    }
  }

  private final List<StepRecord> steps = new ArrayList<>();
  private final List<EvalRecord> evals = new ArrayList<>();
  private final Path file;

  public TrainingLog(Path file) {
    this.file = file;
  }

  /** The log a finished run left in {@code file} ({@code training_log.jsonl}), read only. */
  public static TrainingLog read(Path file) {
    TrainingLog log = new TrainingLog(null);
    try {
      List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
      for (int i = 0; i < lines.size(); i++) {
        if (lines.get(i).isBlank()) {
          continue;
        }
        JsonNode row = JsonlRecords.parseObject(lines.get(i), file.toString(), i + 1);
        String type = row.path("type").asText();
        if (type.equals("train")) {
          log.steps.add(new StepRecord(row.path("step").asInt(), row.path("epoch").asInt(), row.path("loss").asDouble(),
              row.path("lr").asDouble(), row.path("grad_norm").asDouble(), row.path("seconds").asDouble()));
        } else if (type.equals("eval")) {
          log.evals.add(new EvalRecord(row.path("step").asInt(), row.path("epoch").asInt(),
              Json.convert(row.get("metrics"), new TypeReference<Map<String, Double>>() {})));
        } else {
          throw new QuarryException(file + ":" + (i + 1) + ": \"type\" must be train or eval, not '" + type + "'.");
        }
      }
    } catch (IOException e) {
      throw new QuarryException("Cannot read the training log " + file + ": " + e.getMessage(), e);
    }
    return log;
  }

  public List<StepRecord> steps() {
    return steps;
  }

  public List<EvalRecord> evals() {
    return evals;
  }

  public Path file() {
    return file;
  }

  public void add(StepRecord r) {
    steps.add(r);
    Map<String, Object> row = new LinkedHashMap<>(); // fixed key order: the file reads the same every run
    row.put("type", "train");
    row.put("step", r.step());
    row.put("epoch", r.epoch());
    row.put("loss", r.loss());
    row.put("lr", r.learningRate());
    row.put("grad_norm", r.gradNorm());
    row.put("seconds", r.seconds());
    append(row);
  }

  public void add(EvalRecord r) {
    evals.add(r);
    Map<String, Object> row = new LinkedHashMap<>();
    row.put("type", "eval");
    row.put("step", r.step());
    row.put("epoch", r.epoch());
    row.put("metrics", r.metrics());
    append(row);
  }

  private void append(Map<String, ?> row) {
    if (file == null) {
      return;
    }
    try {
      Files.writeString(file, Json.writer().writeValueAsString(row) + "\n", StandardCharsets.UTF_8,
          StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot append to the training log " + file, e);
    }
  }

  /** The history as JSON (for a checkpoint's trainer_state.json). */
  public Map<String, Object> toJson() {
    return Map.of("steps", steps, "evals", evals);
  }

  /** Replaces the history with a checkpoint's, and rewrites the JSONL file to match it. */
  public void restore(JsonNode history) {
    steps.clear();
    evals.clear();
    try {
      steps.addAll(Json.convert(history.get("steps"), new TypeReference<List<StepRecord>>() {}));
      evals.addAll(Json.convert(history.get("evals"), new TypeReference<List<EvalRecord>>() {}));
    } catch (IllegalArgumentException e) {
      throw new QuarryException("Unreadable training history in a checkpoint: " + e.getMessage(), e);
    }
    if (file != null) {
      try {
        Files.deleteIfExists(file);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      List<StepRecord> s = new ArrayList<>(steps);
      List<EvalRecord> ev = new ArrayList<>(evals);
      steps.clear();
      evals.clear();
      int i = 0;
      for (StepRecord r : s) {
        while (i < ev.size() && ev.get(i).step() <= r.step() - 1) {
          add(ev.get(i++));
        }
        add(r);
      }
      while (i < ev.size()) {
        add(ev.get(i++));
      }
    }
  }
}
