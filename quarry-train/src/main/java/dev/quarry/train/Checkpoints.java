package dev.quarry.train;

import com.fasterxml.jackson.databind.JsonNode;
import dev.quarry.FileTrees;
import dev.quarry.QuarryException;
import dev.quarry.io.Json;
import dev.quarry.io.SafetensorsWriter;
import dev.quarry.io.Tensor;
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
      FileTrees.delete(tmp);
      Files.createDirectories(tmp);
      SafetensorsWriter.write(tmp.resolve(MODEL), weights);
      if (optimizer != null) {
        SafetensorsWriter.write(tmp.resolve(OPTIMIZER), optimizer);
      }
      Files.write(tmp.resolve(STATE), Json.prettyWriter().writeValueAsBytes(state));
      for (Path f : List.of(tmp.resolve(MODEL), tmp.resolve(OPTIMIZER), tmp.resolve(STATE))) {
        fsync(f);
      }
      Path old = null;
      if (Files.exists(target)) { // replacing "best": move the old one aside first
        old = dir.resolve(name + ".old-" + ProcessHandle.current().pid());
        FileTrees.delete(old);
        Files.move(target, old, StandardCopyOption.ATOMIC_MOVE);
      }
      try {
        Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
      } catch (AtomicMoveNotSupportedException e) {
        throw new QuarryException("The file system of " + dir + " cannot rename atomically; checkpoints need it.", e);
      }
      fsync(dir);
      if (old != null) {
        FileTrees.delete(old);
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
      FileTrees.delete(all.get(i));
    }
    return p;
  }

  /** The newest complete numbered checkpoint, or null. */
  public Saved latest() {
    List<Path> all = numbered();
    return all.isEmpty() ? null : read(all.get(all.size() - 1));
  }

  /** A named checkpoint ("best"), or null (an interrupted replacement is recovered first). */
  public Saved named(String name) {
    cleanTemporary();
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

  /** Whether any checkpoint (numbered or named) is here. */
  public boolean hasAny() {
    if (!Files.isDirectory(dir)) {
      return false;
    }
    try (Stream<Path> s = Files.list(dir)) {
      return s.anyMatch(p -> Files.isRegularFile(p.resolve(STATE)));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Finishes replacements that a kill interrupted, then removes temporary folders. Replacing a
   * named checkpoint moves the old one aside ({@code .old-PID}) once the new one ({@code .tmp-PID})
   * is complete on disk, then renames the new one into place: a kill in between leaves no checkpoint
   * under the name, and the new one (complete, since the old was moved only after its fsync) is
   * promoted, else the old one is put back.
   */
  public void cleanTemporary() {
    if (!Files.isDirectory(dir)) {
      return;
    }
    try (Stream<Path> s = Files.list(dir)) {
      for (Path old : s.filter(p -> p.getFileName().toString().contains(".old-")).toList()) {
        String file = old.getFileName().toString();
        Path target = dir.resolve(file.substring(0, file.indexOf(".old-")));
        if (Files.exists(target)) {
          continue;
        }
        Path fresh = dir.resolve(file.replace(".old-", ".tmp-"));
        Path keep = Files.isRegularFile(fresh.resolve(STATE)) ? fresh : old;
        if (Files.isRegularFile(keep.resolve(STATE))) {
          Files.move(keep, target, StandardCopyOption.ATOMIC_MOVE);
          fsync(dir);
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot recover an interrupted checkpoint replacement in " + dir, e);
    }
    try (Stream<Path> s = Files.list(dir)) {
      s.filter(p -> p.getFileName().toString().contains(".tmp-") || p.getFileName().toString().contains(".old-"))
          .forEach(FileTrees::delete);
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
}
