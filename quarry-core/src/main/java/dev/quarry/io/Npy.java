package dev.quarry.io;

import dev.quarry.QuarryException;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * NumPy's {@code .npy} format (version 1.0 written, 1.0 to 3.0 read) for 2-d matrices in C order:
 * the magic string, the version, a little-endian header length, a Python dict literal padded so
 * that the data starts on a 64-byte boundary, then the raw rows. The one place that knows the
 * layout, for the encode output and for the memory-mapped matrices read back.
 */
public final class Npy {
  private static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};
  private static final Pattern DESCR = Pattern.compile("'descr':\\s*'([^']*)'");
  private static final Pattern SHAPE = Pattern.compile("'shape':\\s*\\((\\d+),\\s*(\\d+),?\\s*\\)");

  private Npy() {}

  /**
   * A parsed header.
   *
   * @param dtype NumPy's type string, e.g. {@code <f4} (little-endian float32) or {@code |i1}
   * @param dataStart byte offset of the first row
   */
  public record Header(String dtype, int rows, int cols, long dataStart) {
    /** Bytes per element, from the dtype's size suffix. */
    public int elementBytes() {
      return Integer.parseInt(dtype.substring(2));
    }
  }

  /** Writes a version 1.0 header for a (rows, cols) matrix of {@code dtype}; the rows follow. */
  public static void writeHeader(OutputStream out, String dtype, long rows, int cols) throws IOException {
    String dict = "{'descr': '" + dtype + "', 'fortran_order': False, 'shape': (" + rows + ", " + cols + "), }";
    int unpadded = MAGIC.length + 2 + 2 + dict.length() + 1;
    String header = dict + " ".repeat((64 - unpadded % 64) % 64) + "\n";
    out.write(MAGIC);
    out.write(new byte[] {1, 0, (byte) (header.length() & 0xff), (byte) ((header.length() >> 8) & 0xff)});
    out.write(header.getBytes(StandardCharsets.US_ASCII));
  }

  /** Writes one float32 row, little-endian. */
  public static void writeRow(OutputStream out, float[] row) throws IOException {
    ByteBuffer buf = ByteBuffer.allocate(row.length * 4).order(ByteOrder.LITTLE_ENDIAN);
    buf.asFloatBuffer().put(row);
    out.write(buf.array());
  }

  /**
   * Reads and checks the header of {@code file}: the magic string, C order, a 2-d shape, and a file
   * size that matches the shape (a truncated file is refused, not read short).
   */
  public static Header readHeader(FileChannel ch, Path file) throws IOException {
    ByteBuffer head = ByteBuffer.allocate(12).order(ByteOrder.LITTLE_ENDIAN);
    ch.read(head, 0);
    head.flip();
    byte[] magic = new byte[MAGIC.length];
    if (head.remaining() >= 10) {
      head.get(magic);
    }
    if (!Arrays.equals(magic, MAGIC)) {
      throw new QuarryException(file + " is not a NumPy .npy file (bad magic).");
    }
    int major = head.get();
    head.get();
    if (major < 1 || major > 3) {
      throw new QuarryException(file + ": .npy format version " + major + " is not supported (1 to 3).");
    }
    long headerLen = major == 1 ? Short.toUnsignedInt(head.getShort()) : Integer.toUnsignedLong(head.getInt());
    long dataStart = (major == 1 ? 10 : 12) + headerLen;
    if (headerLen > 1 << 20 || dataStart > ch.size()) {
      throw new QuarryException(file + ": .npy header of " + headerLen + " bytes runs past the end of the file.");
    }
    ByteBuffer hb = ByteBuffer.allocate((int) headerLen);
    ch.read(hb, dataStart - headerLen);
    String header = new String(hb.array(), major == 3 ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1);
    Matcher descr = DESCR.matcher(header);
    if (!descr.find() || !descr.group(1).matches("[<|][fiu][1248]")) {
      throw new QuarryException(file + ": field 'descr' must be a little-endian number type such as '<f4'; header " + header.strip());
    }
    if (header.matches("(?s).*'fortran_order':\\s*True.*")) {
      throw new QuarryException(file + ": field 'fortran_order' is True; save the matrix in C order.");
    }
    Matcher shape = SHAPE.matcher(header);
    if (!shape.find()) {
      throw new QuarryException(file + ": field 'shape' must be (rows, dim); header " + header.strip());
    }
    Header h = new Header(descr.group(1), Integer.parseInt(shape.group(1)), Integer.parseInt(shape.group(2)), dataStart);
    long needed = (long) h.elementBytes() * h.rows() * h.cols();
    if (ch.size() != dataStart + needed) {
      throw new QuarryException(file + " holds " + (ch.size() - dataStart) + " data bytes; shape (" + h.rows() + ", " + h.cols()
          + ") of " + h.dtype() + " needs " + needed + ". The file is truncated or corrupt.");
    }
    return h;
  }
}
