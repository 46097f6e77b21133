package dev.quarry;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/** Digests of files, streamed: SHA-256 for fingerprints of models and corpora, and what the hub lists to verify downloads. */
public final class Digests {
  private Digests() {}

  /** A new SHA-256 digest. */
  public static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is missing from this JVM", e);
    }
  }

  /** The SHA-256 of a file's bytes, hex. */
  public static String sha256Hex(Path file) throws IOException {
    return hex(file, "SHA-256", null);
  }

  /**
   * A file's digest by {@code algorithm} ("SHA-256", "SHA-1"), hex; {@code prefix} is hashed before
   * the content when given (git's blob id hashes {@code "blob <size>\0"} first).
   */
  public static String hex(Path file, String algorithm, byte[] prefix) throws IOException {
    MessageDigest md;
    try {
      md = MessageDigest.getInstance(algorithm);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(algorithm + " is missing from this JVM", e);
    }
    if (prefix != null) {
      md.update(prefix);
    }
    byte[] buf = new byte[1 << 20];
    try (InputStream in = Files.newInputStream(file)) {
      for (int n; (n = in.read(buf)) > 0; ) {
        md.update(buf, 0, n);
      }
    }
    return HexFormat.of().formatHex(md.digest());
  }
}
