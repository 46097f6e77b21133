package dev.quarry.model;

import dev.quarry.Digests;
import dev.quarry.Quarry;
import dev.quarry.QuarryException;
import dev.quarry.modules.SentenceModule;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * What makes a model's vectors what they are, as one hash: the transformer's weights (the whole
 * ONNX file), the tokenizer, max_seq_length and lower-casing, pooling, the Dense weights,
 * normalisation, and the prompts (which are prepended to every text). Two folders with the same display id (say, two fine-tunes both saved as
 * {@code model}) differ here; the same model copied elsewhere does not. Indexes record it and
 * refuse vectors from any other model.
 */
public final class ModelFingerprint {
  /** File digests by path, size and modification time: a large graph is hashed once per process. */
  private static final Map<String, String> FILE_DIGESTS = new ConcurrentHashMap<>();

  private ModelFingerprint() {}

  /** The fingerprint of {@code folder}: 32 hex digits. */
  public static String of(ModelFolder folder) {
    MessageDigest md = Digests.sha256();
    if (!folder.prompts().isEmpty() || folder.defaultPromptName() != null) {
      // A document prompt ("passage: ") changes every stored vector. Left out when the model has
      // none, so that the fingerprints of prompt-less models (and their indexes) stay as they were.
      update(md, "prompts", new TreeMap<>(folder.prompts()).toString());
      update(md, "default_prompt_name", String.valueOf(folder.defaultPromptName()));
    }
    if (folder.routes() != null) {
      // A Router model is its routes: each route's pipeline, and which one a text takes.
      folder.routes().byName().forEach((name, route) -> update(md, "route:" + name, of(route)));
      update(md, "default_route", String.valueOf(folder.routes().defaultRoute()));
      update(md, "route_mappings", folder.routes().mappings().toString());
      return HexFormat.of().formatHex(md.digest()).substring(0, 32);
    }
    try {
      update(md, "weights", folder.onnxFile() == null ? "none" : fileDigest(folder.onnxFile()));
      update(md, "tokenizer", fileDigest(folder.tokenizerFile()));
      update(md, "max_seq_length", Integer.toString(folder.maxSeqLength()));
      update(md, "do_lower_case", Boolean.toString(folder.doLowerCase()));
      update(md, "pooling", folder.pooling().toString());
      for (SentenceModule m : folder.sentenceModules()) {
        update(md, "module", m.getClass().getSimpleName() + ":" + m.outputDimension(folder.pooling().outputDimension()));
      }
      // Dense weights live in the module folders (e.g. 2_Dense/model.safetensors).
      try (Stream<Path> dirs = Files.list(folder.root())) {
        for (Path d : dirs.filter(p -> p.getFileName().toString().matches("\\d+_Dense")).sorted().toList()) {
          Path w = d.resolve("model.safetensors");
          if (Files.isRegularFile(w)) {
            update(md, "dense", fileDigest(w));
          }
        }
      }
      update(md, "normalize", Boolean.toString(folder.normalizes()));
    } catch (IOException e) {
      throw new QuarryException("Cannot fingerprint model " + folder.root() + ": " + e.getMessage(), e);
    }
    return HexFormat.of().formatHex(md.digest()).substring(0, 32);
  }

  private static String fileDigest(Path file) throws IOException {
    Path real = file.toRealPath();
    BasicFileAttributes attrs = Files.readAttributes(real, BasicFileAttributes.class);
    // The file's identity as the file system sees it: inode, size, modification time to the
    // nanosecond. A rewritten or replaced file changes at least one of them.
    String key = real + "|" + attrs.fileKey() + "|" + attrs.size() + "|" + attrs.lastModifiedTime().to(TimeUnit.NANOSECONDS);
    String cached = FILE_DIGESTS.get(key);
    if (cached != null) {
      return cached;
    }
    // Kept across processes too: hashing a 90 MB graph costs 0.6 s of every command's start.
    Path memo = Quarry.home().resolve("digests").resolve(HexFormat.of().formatHex(Digests.sha256().digest(key.getBytes(StandardCharsets.UTF_8)), 0, 16));
    String digest = readMemo(memo);
    if (digest == null) {
      digest = Digests.sha256Hex(real);
      writeMemo(memo, digest);
    }
    FILE_DIGESTS.put(key, digest);
    return digest;
  }

  private static String readMemo(Path memo) {
    try {
      String s = Files.readString(memo, StandardCharsets.US_ASCII).trim();
      return s.matches("[0-9a-f]{64}") ? s : null;
    } catch (IOException e) {
      return null;
    }
  }

  /** Best effort: a cache that cannot be written (read-only home) only costs the hashing again. */
  private static void writeMemo(Path memo, String digest) {
    try {
      Files.createDirectories(memo.getParent());
      Path tmp = Files.createTempFile(memo.getParent(), memo.getFileName().toString(), ".tmp");
      Files.writeString(tmp, digest, StandardCharsets.US_ASCII);
      Files.move(tmp, memo, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException | UnsupportedOperationException e) {
      // left to the next process
    }
  }

  private static void update(MessageDigest md, String field, String value) {
    byte[] b = (field + "=" + value).getBytes(StandardCharsets.UTF_8);
    md.update(ByteBuffer.allocate(4).putInt(b.length).array());
    md.update(b);
  }
}
