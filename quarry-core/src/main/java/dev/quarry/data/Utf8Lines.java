package dev.quarry.data;

import dev.quarry.QuarryException;
import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * Reads a stream line by line, decoding each line as strict UTF-8 on its own, so that invalid
 * bytes are reported with the line they are on (a decoding {@code BufferedReader} reads ahead and
 * would blame the wrong line). Lines end at {@code \n}; a trailing {@code \r} is dropped.
 */
public final class Utf8Lines implements AutoCloseable {
  private final InputStream in;
  private final String name;
  private final CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
      .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT);
  private final ByteArrayOutputStream line = new ByteArrayOutputStream(256);
  private int lineNumber;
  private long position;

  /** @param name the file name used in error messages */
  public Utf8Lines(InputStream in, String name) {
    this(in, name, 0, 0);
  }

  /**
   * Continues a file part-way: {@code in} is positioned at byte {@code position}, the start of line
   * {@code linesBefore + 1}.
   */
  public Utf8Lines(InputStream in, String name, long position, int linesBefore) {
    this.in = new BufferedInputStream(in, 1 << 16);
    this.name = name;
    this.position = position;
    this.lineNumber = linesBefore;
  }

  /** Byte offset just past the line last returned (its newline included): where the next one starts. */
  public long position() {
    return position;
  }

  /** 1-based number of the line last returned. */
  public int lineNumber() {
    return lineNumber;
  }

  /** The next line, or null at the end of the stream. */
  public String next() {
    line.reset();
    try {
      int b = in.read();
      if (b < 0) {
        return null;
      }
      while (b >= 0 && b != '\n') {
        line.write(b);
        b = in.read();
      }
      position += line.size() + (b == '\n' ? 1 : 0);
    } catch (IOException e) {
      throw new QuarryException("Cannot read " + name + " after line " + lineNumber + ": " + e.getMessage(), e);
    }
    lineNumber++;
    byte[] bytes = line.toByteArray();
    int len = bytes.length > 0 && bytes[bytes.length - 1] == '\r' ? bytes.length - 1 : bytes.length;
        if (lineNumber == 1 && len >= 3 && (bytes[0] & 0xff) == 0xEF && (bytes[1] & 0xff) == 0xBB && (bytes[2] & 0xff) == 0xBF) {
      return decode(bytes, 3, len - 3);
    }
    return decode(bytes, 0, len);
  }

  private String decode(byte[] bytes, int off, int len) {
    try {
      return decoder.decode(ByteBuffer.wrap(bytes, off, len)).toString();
    } catch (CharacterCodingException e) {
      throw new QuarryException(name + " line " + lineNumber + ": invalid UTF-8. Re-encode the file as UTF-8.");
    }
  }

  @Override
  public void close() {
    try {
      in.close();
    } catch (IOException e) {
      throw new QuarryException("Cannot close " + name + ": " + e.getMessage(), e);
    }
  }
}
