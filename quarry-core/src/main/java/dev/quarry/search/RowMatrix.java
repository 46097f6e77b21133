package dev.quarry.search;

import dev.quarry.QuarryException;
import dev.quarry.io.Npy;
import java.io.IOException;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * A row-major float matrix (corpus embeddings) on the heap or memory-mapped from a file, so exact
 * search over a cached corpus needs no heap for the vectors. A mapping is limited to 2 GB, so a
 * file is mapped in blocks of whole rows.
 */
public final class RowMatrix {
  /** Rows per block: blocks stay under 1 GB whatever the dimension. */
  private static final long BLOCK_BYTES = 1L << 30;

  private final FloatBuffer[] blocks;
  private final int rowsPerBlock;
  private final int rows;
  private final int dim;

  private RowMatrix(FloatBuffer[] blocks, int rowsPerBlock, int rows, int dim) {
    this.blocks = blocks;
    this.rowsPerBlock = rowsPerBlock;
    this.rows = rows;
    this.dim = dim;
  }

  /** A heap matrix over {@code rowMajor} (not copied). */
  public static RowMatrix of(float[] rowMajor, int dim) {
    if (dim <= 0 || rowMajor.length % dim != 0) {
      throw new QuarryException("Corpus matrix of " + rowMajor.length + " floats is not a whole number of " + dim + "-d rows.");
    }
    int rows = rowMajor.length / dim;
    return new RowMatrix(new FloatBuffer[] {FloatBuffer.wrap(rowMajor)}, Math.max(rows, 1), rows, dim);
  }

  /** {@code rows} little-endian float32 rows of {@code file} from byte {@code offset}, mapped read-only. */
  public static RowMatrix map(Path file, long offset, int rows, int dim) {
    int rowsPerBlock = (int) Math.max(1, BLOCK_BYTES / (4L * dim));
    int count = Math.max(1, (rows + rowsPerBlock - 1) / rowsPerBlock);
    FloatBuffer[] blocks = new FloatBuffer[count];
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      for (int b = 0; b < count; b++) {
        long first = (long) b * rowsPerBlock;
        long n = Math.max(0, Math.min(rowsPerBlock, rows - first));
        blocks[b] = ch.map(FileChannel.MapMode.READ_ONLY, offset + first * dim * 4, n * dim * 4)
            .order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer();
      }
    } catch (IOException e) {
      throw new QuarryException("Cannot map " + file + ": " + e.getMessage(), e);
    }
    return new RowMatrix(blocks, rowsPerBlock, rows, dim);
  }

  /**
   * A NumPy {@code .npy} file of shape (rows, dim) and dtype little-endian float32 (what {@code
   * quarry encode -o FILE.npy} and {@code np.save} write), mapped read-only.
   */
  public static RowMatrix mapNpy(Path file) {
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      Npy.Header h = Npy.readHeader(ch, file);
      if (!h.dtype().equals("<f4")) {
        throw new QuarryException(file + ": field 'descr' is '" + h.dtype() + "'; float32 vectors need '<f4'.");
      }
      return map(file, h.dataStart(), h.rows(), h.cols());
    } catch (IOException e) {
      throw new QuarryException("Cannot read " + file + ": " + e.getMessage(), e);
    }
  }

  public int rows() {
    return rows;
  }

  public int dim() {
    return dim;
  }

  /** Copies row {@code i} into {@code into} (length dim) and returns it. */
  public float[] row(int i, float[] into) {
    blocks[i / rowsPerBlock].get((i % rowsPerBlock) * dim, into, 0, dim);
    return into;
  }

}
