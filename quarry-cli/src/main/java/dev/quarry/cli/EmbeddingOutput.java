package dev.quarry.cli;

import com.fasterxml.jackson.core.JsonGenerator;
import dev.quarry.QuarryException;
import dev.quarry.encode.Embeddings;
import dev.quarry.encode.Precision;
import dev.quarry.io.Json;
import dev.quarry.io.Npy;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;

/** Writes embeddings as JSONL (id, embedding) or as a NumPy {@code .npy} matrix. */
final class EmbeddingOutput {
  private EmbeddingOutput() {}

  /** Writes to {@code file} atomically (a temp file renamed at the end), or to stdout when null. */
  static void write(Path file, List<String> ids, Embeddings e) {
    try {
      if (file == null) {
        OutputStream out = new BufferedOutputStream(System.out);
        writeJsonl(out, ids, e);
        out.flush();
        return;
      }
      Path tmp = Files.createTempFile(file.toAbsolutePath().getParent(), file.getFileName().toString(), ".tmp");
      try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(tmp), 1 << 16)) {
        if (file.toString().endsWith(".npy")) {
          writeNpy(out, e);
        } else {
          writeJsonl(out, ids, e);
        }
      } catch (IOException | RuntimeException ex) {
        Files.deleteIfExists(tmp);
        throw ex;
      }
      Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException ex) {
      throw new QuarryException("Cannot write " + (file == null ? "stdout" : file) + ": " + ex.getMessage(), ex);
    }
  }

  private static void writeJsonl(OutputStream out, List<String> ids, Embeddings e) throws IOException {
    for (int i = 0; i < e.size(); i++) {
      JsonGenerator g = Json.factory().createGenerator(out);
      g.writeStartObject();
      g.writeStringField("id", ids.get(i));
      g.writeArrayFieldStart("embedding");
      if (e.precision() == Precision.FLOAT32) {
        for (float v : e.floats()[i]) {
          g.writeNumber(v);
        }
      } else {
        boolean unsigned = e.precision() == Precision.UINT8 || e.precision() == Precision.UBINARY;
        for (byte b : e.bytes()[i]) {
          g.writeNumber(unsigned ? b & 0xff : b);
        }
      }
      g.writeEndArray();
      g.writeEndObject();
      g.flush();
      out.write('\n');
    }
  }

  /** A NumPy matrix: float32 rows, or one byte per element for the integer and binary precisions. */
  static void writeNpy(OutputStream out, Embeddings e) throws IOException {
    String dtype = switch (e.precision()) {
      case FLOAT32 -> "<f4";
      case INT8, BINARY -> "|i1";
      case UINT8, UBINARY -> "|u1";
    };
    int cols = e.size() == 0 ? e.dimension()
        : e.precision() == Precision.FLOAT32 ? e.floats()[0].length : e.bytes()[0].length;
    Npy.writeHeader(out, dtype, e.size(), cols);
    if (e.precision() == Precision.FLOAT32) {
      for (float[] row : e.floats()) {
        Npy.writeRow(out, row);
      }
    } else {
      for (byte[] row : e.bytes()) {
        out.write(row);
      }
    }
  }
}
