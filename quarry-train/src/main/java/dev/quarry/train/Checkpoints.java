package dev.quarry.train;

import com.fasterxml.jackson.databind.JsonNode;
import dev.quarry.QuarryException;
import dev.quarry.model.Json;
import dev.quarry.train.bert.Tensor;
import dev.quarry.train.export.SafetensorsWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Resumable checkpoints under {@code <output>/checkpoints/checkpoint-<step>/}: model weights,
 * optimizer moments and trainer_state.json. Each is written into a temporary folder, flushed to
 * disk, then renamed into place in one atomic step, so a kill leaves either the whole checkpoint
 * or none (a leftover temporary folder is ignored and cleaned up).
 */
public final class Checkpoints {
  static final String MODEL = "model.safetensors";
  static final String OPTIMIZER = "optimizer.safetensors";
  static final String STATE = "trainer_state.json";
  private static final String PREFIX = "checkpoint-";

  private final Path dir;

  public Checkpoints(Path dir) {
    this.dir = dir;
  }

  public Path dir() {
    return dir;
  }

  /** A saved checkpoint: where it is and its trainer state. */
  public record Saved(Path dir, int step, JsonNode state) {
    public Map<String, Tensor> weights() {
      return SafetensorsWriter.readAll(dir.resolve(MODEL));
    }

    public Map<String, Tensor> optimizer() {
      return SafetensorsWriter.readAll(dir.resolve(OPTIMIZER));
    }
  }

  /** Writes checkpoint {@code name} atomically and returns its folder. */
  public Path write(String name, Map<String, Tensor> weights, Map<String, Tensor> optimizer, Map<String, Object> state) {
    Path target = dir.resolve(name);
    Path tmp = dir.resolve(name + ".tmp-" + ProcessHandle.current().pid());
    try {
      Files.createDirectories(dir);
      deleteTree(tmp);
      Files.createDirectories(tmp);
      SafetensorsWriter.write(tmp.resolve(MODEL), weights);
      if (optimizer != null) {
        SafetensorsWriter.write(tmp.resolve(OPTIMIZER), optimizer);
      }
      Files.write(tmp.resolve(STATE), Json.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsBytes(state));
      for (Path f : List.of(tmp.resolve(MODEL), tmp.resolve(OPTIMIZER), tmp.resolve(STATE))) {
        fsync(f);
      }
      Path old = null;
      if (Files.exists(target)) { // replacing "best": move the old one aside first
        old = dir.resolve(name + ".old-" + ProcessHandle.current().pid());
        deleteTree(old);
        Files.move(target, old, StandardCopyOption.ATOMIC_MOVE);
      }
      try {
        Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
      } catch (AtomicMoveNotSupportedException e) {
        throw new QuarryException("The file system of " + dir + " cannot rename atomically; checkpoints need it.", e);
      }
      fsync(dir);
      if (old != null) {
        deleteTree(old);
      }
      return target;
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot write checkpoint " + target, e);
    }
  }

  /** The numbered checkpoint of {@code step}. */
  public Path writeStep(int step, Map<String, Tensor> weights, Map<String, Tensor> optimizer, Map<String, Object> state, int keep) {
    Path p = write(PREFIX + step, weights, optimizer, state);
    List<Path> all = numbered();
    for (int i = 0; i < all.size() - keep; i++) {
      deleteTree(all.get(i));
    }
    return p;
  }

  /** The newest complete numbered checkpoint, or null. */
  public Saved latest() {
    List<Path> all = numbered();
    return all.isEmpty() ? null : read(all.get(all.size() - 1));
  }

  /** A named checkpoint ("best"), or null. */
  public Saved named(String name) {
    Path p = dir.resolve(name);
    return Files.isRegularFile(p.resolve(STATE)) ? read(p) : null;
  }

  private Saved read(Path p) {
    JsonNode state = Json.read(p.resolve(STATE));
    return new Saved(p, state.path("step").asInt(), state);
  }

  /** Complete numbered checkpoints, oldest first (temporary folders of killed writes are skipped). */
  List<Path> numbered() {
    if (!Files.isDirectory(dir)) {
      return List.of();
    }
    try (Stream<Path> s = Files.list(dir)) {
      return s.filter(p -> p.getFileName().toString().matches(PREFIX + "\\d+"))
          .filter(p -> Files.isRegularFile(p.resolve(STATE)))
          .sorted(Comparator.comparingInt(p -> Integer.parseInt(p.getFileName().toString().substring(PREFIX.length()))))
          .toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Removes temporary folders left by a killed run. */
  public void cleanTemporary() {
    if (!Files.isDirectory(dir)) {
      return;
    }
    try (Stream<Path> s = Files.list(dir)) {
      s.filter(p -> p.getFileName().toString().contains(".tmp-") || p.getFileName().toString().contains(".old-"))
          .forEach(Checkpoints::deleteTree);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static void fsync(Path p) throws IOException {
    if (!Files.exists(p)) {
      return;
    }
    try (FileChannel ch = Files.isDirectory(p) ? FileChannel.open(p, StandardOpenOption.READ)
        : FileChannel.open(p, StandardOpenOption.WRITE)) {
      ch.force(true);
    } catch (IOException e) {
      if (!Files.isDirectory(p)) {
        throw e; // some file systems refuse to open directories; files must sync
      }
    }
  }

  static void deleteTree(Path p) {
    if (!Files.exists(p)) {
      return;
    }
    try (Stream<Path> s = Files.walk(p)) {
      for (Path x : s.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(x);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot delete " + p, e);
    }
  }
}
