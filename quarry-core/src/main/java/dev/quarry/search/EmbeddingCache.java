package dev.quarry.search;

import dev.quarry.QuarryException;
import dev.quarry.model.ModelFolder;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;

/**
 * Corpus embeddings on disk, keyed by a digest of the model (its ONNX graph, tokenizer and
 * sentence-transformers configs) and of the exact texts and encoding settings, so a second
 * evaluation of the same model on the same corpus reads vectors instead of re-encoding.
 *
 * <p>File format (version 1): magic "QEMB", int version, int rows, int dim, then rows·dim
 * little-endian float32. Files are written to a temp name and renamed, so a killed run never
 * leaves a truncated entry under a valid key.
 */
public final class EmbeddingCache {
  private static final int MAGIC = 0x51454d42; // "QEMB"
  private static final int VERSION = 1;
  private final Path dir;

  public EmbeddingCache(Path dir) {
    this.dir = dir;
  }

  /** Computes rows {@code from} (inclusive) to {@code to} (exclusive) of a matrix. */
  @FunctionalInterface
  public interface Rows {
    float[][] compute(int from, int to);
  }

  /**
   * The cached matrix for this key, memory-mapped; absent, it is computed {@code chunk} rows at a
   * time and streamed to disk first, so neither step holds the whole matrix on the heap.
   */
  public RowMatrix getOrComputeMapped(String key, int rows, int chunk, Rows compute) {
    Path file = dir.resolve(key + ".qemb");
    RowMatrix cached = Files.isRegularFile(file) ? map(file) : null;
    if (cached != null && cached.rows() == rows) {
      return cached;
    }
    try {
      Files.createDirectories(dir);
      Path tmp = Files.createTempFile(dir, "emb", ".tmp");
      try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
        int dim = -1;
        ch.position(16);
        for (int from = 0; from < rows; from += chunk) {
          float[][] part = compute.compute(from, Math.min(rows, from + chunk));
          for (float[] r : part) {
            if (dim < 0) {
              dim = r.length;
            }
            ByteBuffer row = ByteBuffer.allocate(4 * dim).order(ByteOrder.LITTLE_ENDIAN);
            row.asFloatBuffer().put(r);
            ch.write(row);
          }
        }
        ByteBuffer head = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN);
        head.putInt(MAGIC).putInt(VERSION).putInt(rows).putInt(Math.max(dim, 0)).flip();
        ch.write(head, 0); // the header last: a killed write leaves no valid-looking file behind anyway (temp name)
      }
      Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (IOException e) {
      throw new QuarryException("Cannot write embedding cache " + file + ": " + e.getMessage(), e);
    }
    return map(file);
  }

  /** A cache file mapped read-only, or null if it is not a complete version-1 file. */
  private static RowMatrix map(Path file) {
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      ByteBuffer head = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN);
      if (ch.size() < 16 || ch.read(head, 0) < 16) {
        return null;
      }
      head.flip();
      if (head.getInt() != MAGIC || head.getInt() != VERSION) {
        return null;
      }
      int rows = head.getInt();
      int dim = head.getInt();
      if (dim <= 0 || ch.size() != 16 + 4L * rows * dim) {
        return null;
      }
      return RowMatrix.map(file, 16, rows, dim);
    } catch (IOException e) {
      throw new QuarryException("Cannot read embedding cache " + file + ": " + e.getMessage()
          + ". Delete the file to re-encode.", e);
    }
  }

  /** The cache key for encoding {@code texts} with {@code model} under {@code settings}. */
  public static String key(ModelFolder model, String settings, List<String> texts) {
    try {
      MessageDigest md = MessageDigest.getInstance("SHA-256");
      update(md, model.modelId());
      update(md, Long.toString(Files.size(model.onnxFile())));
      // Head and tail of the graph: the weights differ there between models, and hashing all of a
      // large graph on every run would cost more than the lookup saves.
      digestEnds(md, model.onnxFile(), 1 << 20);
      md.update(Files.readAllBytes(model.tokenizerFile()));
      update(md, model.pooling().toString() + model.maxSeqLength() + model.doLowerCase());
      for (var m : model.sentenceModules()) {
        update(md, m.getClass().getSimpleName() + m.outputDimension(model.pooling().outputDimension()));
      }
      update(md, settings);
      update(md, Integer.toString(texts.size()));
      for (String t : texts) {
        update(md, t);
      }
      return HexFormat.of().formatHex(md.digest()).substring(0, 32);
    } catch (IOException e) {
      throw new QuarryException("Cannot fingerprint model " + model.root() + ": " + e.getMessage(), e);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private static void update(MessageDigest md, String s) {
    byte[] b = s.getBytes(StandardCharsets.UTF_8);
    md.update(ByteBuffer.allocate(4).putInt(b.length).array());
    md.update(b);
  }

  private static void digestEnds(MessageDigest md, Path file, int n) throws IOException {
    long size = Files.size(file);
    try (InputStream in = Files.newInputStream(file)) {
      md.update(in.readNBytes(n));
      if (size > 2L * n) {
        in.skipNBytes(size - 2L * n);
        md.update(in.readNBytes(n));
      }
    }
  }

}
