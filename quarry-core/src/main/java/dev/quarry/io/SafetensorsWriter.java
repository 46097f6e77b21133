package dev.quarry.io;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes float32 tensors as a {@code .safetensors} file (what transformers' save_pretrained writes):
 * 8-byte little-endian header length, JSON header, raw data. The header is padded with spaces to a
 * multiple of 8 bytes, as the reference implementation does, so that tensors stay aligned.
 */
public final class SafetensorsWriter {
  private SafetensorsWriter() {}

  public static void write(Path file, Map<String, Tensor> tensors) throws IOException {
    Map<String, Object> header = new LinkedHashMap<>();
    header.put("__metadata__", Map.of("format", "pt"));
    long offset = 0;
    for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
      long bytes = 4L * e.getValue().data().length;
      // Ordered maps, not Map.of (whose order changes from one JVM to the next): the same weights
      // give a byte-identical file, so a resumed run's output can be checked by its checksum.
      Map<String, Object> entry = new LinkedHashMap<>();
      entry.put("dtype", "F32");
      entry.put("shape", e.getValue().shape());
      entry.put("data_offsets", List.of(offset, offset + bytes));
      header.put(e.getKey(), entry);
      offset += bytes;
    }
    byte[] json = Json.writer().writeValueAsBytes(header);
    int padded = (json.length + 7) / 8 * 8;
    byte[] headerBytes = new byte[padded];
    System.arraycopy(json, 0, headerBytes, 0, json.length);
    Arrays.fill(headerBytes, json.length, padded, (byte) ' ');
    try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(file), 1 << 20)) {
      out.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(padded).array());
      out.write(headerBytes);
      ByteBuffer buf = ByteBuffer.allocate(1 << 20).order(ByteOrder.LITTLE_ENDIAN);
      for (Tensor t : tensors.values()) {
        for (float f : t.data()) {
          if (!buf.hasRemaining()) {
            out.write(buf.array(), 0, buf.position());
            buf.clear();
          }
          buf.putFloat(f);
        }
      }
      out.write(buf.array(), 0, buf.position());
    }
  }

  /** Reads every tensor back (for resuming from a checkpoint). */
  public static Map<String, Tensor> readAll(Path file) {
    Safetensors st = Safetensors.open(file);
    Map<String, Tensor> out = new LinkedHashMap<>();
    st.tensors().forEach((name, info) -> out.put(name, new Tensor(info.shape(), st.readFloats(name))));
    return out;
  }
}
