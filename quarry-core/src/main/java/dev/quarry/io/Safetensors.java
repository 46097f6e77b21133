package dev.quarry.io;

import com.fasterxml.jackson.databind.JsonNode;
import dev.quarry.QuarryException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Reads float tensors from a {@code .safetensors} file: an 8-byte little-endian header length, a
 * JSON header {name: {dtype, shape, data_offsets}}, then the raw little-endian data.
 */
public final class Safetensors {
  /** One tensor's header entry. */
  public record TensorInfo(String dtype, long[] shape, long begin, long end) {}

  private final Path file;
  private final Map<String, TensorInfo> tensors = new LinkedHashMap<>();
  private final long dataStart;

  private Safetensors(Path file, long dataStart) {
    this.file = file;
    this.dataStart = dataStart;
  }

  /** Parses the header of {@code file}. */
  public static Safetensors open(Path file) {
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
      readFully(ch, len, 0);
      long headerLen = len.flip().getLong();
      if (headerLen <= 0 || headerLen > 100_000_000L || 8 + headerLen > ch.size()) {
        throw new QuarryException("Corrupt safetensors file " + file + ": header length " + headerLen
            + " does not fit a file of " + ch.size() + " bytes. Re-download it.");
      }
      ByteBuffer header = ByteBuffer.allocate((int) headerLen);
      readFully(ch, header, 8);
      JsonNode root = Json.reader().readTree(header.array());
      Safetensors st = new Safetensors(file, 8 + headerLen);
      for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> e = it.next();
        if (e.getKey().equals("__metadata__")) {
          continue;
        }
        JsonNode t = e.getValue();
        long[] shape = new long[t.path("shape").size()];
        for (int i = 0; i < shape.length; i++) {
          shape[i] = t.get("shape").get(i).asLong();
        }
        JsonNode off = t.path("data_offsets");
        st.tensors.put(e.getKey(), new TensorInfo(t.path("dtype").asText(), shape, off.get(0).asLong(), off.get(1).asLong()));
      }
      return st;
    } catch (IOException e) {
      throw new QuarryException("Cannot read safetensors file " + file + ": " + e.getMessage(), e);
    }
  }

  public Map<String, TensorInfo> tensors() {
    return tensors;
  }

  /** Reads a tensor as float32 (F32, F16 and BF16 are widened). */
  public float[] readFloats(String name) {
    TensorInfo info = tensors.get(name);
    if (info == null) {
      throw new QuarryException("Tensor '" + name + "' not found in " + file + "; it holds " + tensors.keySet());
    }
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      int bytes = Math.toIntExact(info.end() - info.begin());
      ByteBuffer buf = ByteBuffer.allocate(bytes).order(ByteOrder.LITTLE_ENDIAN);
      readFully(ch, buf, dataStart + info.begin());
      buf.flip();
      return switch (info.dtype()) {
        case "F32" -> {
          float[] out = new float[bytes / 4];
          buf.asFloatBuffer().get(out);
          yield out;
        }
        case "F16" -> {
          float[] out = new float[bytes / 2];
          for (int i = 0; i < out.length; i++) {
            out[i] = halfToFloat(buf.getShort());
          }
          yield out;
        }
        case "BF16" -> {
          float[] out = new float[bytes / 2];
          for (int i = 0; i < out.length; i++) {
            out[i] = Float.intBitsToFloat((buf.getShort() & 0xffff) << 16);
          }
          yield out;
        }
        default -> throw new QuarryException("Tensor '" + name + "' in " + file + " has dtype " + info.dtype()
            + "; only F32, F16 and BF16 can be read as floats.");
      };
    } catch (IOException e) {
      throw new QuarryException("Cannot read tensor '" + name + "' from " + file + ": " + e.getMessage(), e);
    }
  }

  /** IEEE 754 binary16 to float (Float.float16ToFloat exists only from Java 20; we target 17). */
  static float halfToFloat(short h) {
    int bits = h & 0xffff;
    int sign = (bits & 0x8000) << 16;
    int exp = (bits >>> 10) & 0x1f;
    int mant = bits & 0x3ff;
    if (exp == 0x1f) {
      return Float.intBitsToFloat(sign | 0x7f800000 | (mant << 13));
    }
    if (exp == 0) {
      // Subnormal half: value = mant * 2^-24.
      float v = mant * 0x1p-24f;
      return sign == 0 ? v : -v;
    }
    return Float.intBitsToFloat(sign | ((exp + 112) << 23) | (mant << 13));
  }

  private static void readFully(FileChannel ch, ByteBuffer buf, long pos) throws IOException {
    while (buf.hasRemaining()) {
      int n = ch.read(buf, pos);
      if (n < 0) {
        throw new IOException("unexpected end of file at byte " + pos);
      }
      pos += n;
    }
  }
}
