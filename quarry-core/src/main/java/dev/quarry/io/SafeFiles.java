package dev.quarry.io;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import java.util.stream.Stream;

/** Durable writes (fsync) and an exclusive lock that holds across processes and threads. */
public final class SafeFiles {
  /** File locks are held per process, so threads of one process also take turns in memory. */
  private static final ConcurrentHashMap<Path, ReentrantLock> IN_PROCESS = new ConcurrentHashMap<>();

  private SafeFiles() {}

  /** An exclusive lock on {@code lockFile}; close it to release. */
  public static final class Lock implements AutoCloseable {
    private final ReentrantLock local;
    private final FileChannel channel;
    private final FileLock lock;

    private Lock(ReentrantLock local, FileChannel channel, FileLock lock) {
      this.local = local;
      this.channel = channel;
      this.lock = lock;
    }

    @Override
    public void close() throws IOException {
      try {
        lock.release();
        channel.close();
      } finally {
        local.unlock();
      }
    }
  }

  /** Waits for and takes the lock on {@code lockFile} (created if absent; left in place afterwards). */
  public static Lock lock(Path lockFile) throws IOException {
    ReentrantLock local = IN_PROCESS.computeIfAbsent(lockFile.toAbsolutePath().normalize(), k -> new ReentrantLock());
    local.lock();
    try {
      FileChannel ch = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
      try {
        return new Lock(local, ch, ch.lock());
      } catch (IOException | RuntimeException e) {
        ch.close();
        throw e;
      }
    } catch (IOException | RuntimeException e) {
      local.unlock();
      throw e;
    }
  }

  /** Forces a file's content to disk. */
  public static void sync(Path file) throws IOException {
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
      ch.force(true);
    }
  }

  /**
   * Forces every file under {@code dir}, and the directories themselves (so that renames into them
   * are durable too). Directory fsync is a no-op where the platform refuses it.
   */
  public static void syncTree(Path dir) throws IOException {
    try (Stream<Path> walk = Files.walk(dir)) {
      for (Path p : (Iterable<Path>) walk::iterator) {
        if (Files.isRegularFile(p)) {
          sync(p);
        } else if (Files.isDirectory(p)) {
          syncDirectory(p);
        }
      }
    }
  }

  static void syncDirectory(Path dir) {
    try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
      ch.force(true);
    } catch (IOException e) {
      // Not supported on every platform (Windows); the file contents are synced regardless.
    }
  }

  /** Writes {@code text} to a temporary file, syncs it, and renames it over {@code target}. */
  public static void writeDurably(Path target, String text) throws IOException {
    Files.createDirectories(target.getParent());
    Path tmp = Files.createTempFile(target.getParent(), target.getFileName().toString(), ".tmp");
    try {
      Files.writeString(tmp, text, StandardCharsets.UTF_8);
      sync(tmp);
      Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      syncDirectory(target.getParent());
    } finally {
      Files.deleteIfExists(tmp);
    }
  }
}
