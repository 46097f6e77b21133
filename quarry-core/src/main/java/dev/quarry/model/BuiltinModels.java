package dev.quarry.model;

import dev.quarry.QuarryException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Arrays;
import java.util.List;
import java.util.Properties;

/**
 * The built-in models, shipped by the {@code quarry-models} artifact: our sentence-transformers
 * configs under {@code dev/quarry/builtin/<name>/} plus the ONNX graph and tokenizer.json that
 * LangChain4j's model jars carry. Because ONNX Runtime and the tokenizer read files, a model is
 * laid out once as an ordinary sentence-transformers folder in the cache directory and then loaded
 * like any other folder.
 */
public final class BuiltinModels {
  private static final String ROOT = "dev/quarry/builtin/";
  /** Config files each built-in folder carries, relative to the model root. */
  private static final List<String> CONFIG_FILES = List.of("modules.json", "sentence_bert_config.json",
      "1_Pooling/config.json", "config_sentence_transformers.json", "config.json");

  private BuiltinModels() {}

  /** Hub ids of the built-in models, default first. */
  public static List<String> ids() {
    Properties index = index();
    return index == null ? List.of() : Arrays.asList(index.getProperty("models").split(","));
  }

  /** The default model's hub id. */
  public static String defaultId() {
    Properties index = index();
    return index == null ? "sentence-transformers/all-MiniLM-L6-v2" : index.getProperty("default");
  }

  /** The built-in id matching {@code spec} (full hub id or the part after the slash, any case), or null. */
  public static String find(String spec) {
    for (String id : ids()) {
      String shortName = id.substring(id.indexOf('/') + 1);
      if (id.equalsIgnoreCase(spec) || shortName.equalsIgnoreCase(spec)) {
        return id;
      }
    }
    return null;
  }

  /** Where the LangChain4j carrier artifact of a built-in model comes from (for `quarry models`). */
  public static String carrier(String id) {
    return carrierProperties(id).getProperty("carrier");
  }

  /**
   * Lays out built-in model {@code id} as a sentence-transformers folder under {@code cacheDir}
   * (once; later calls only check it) and returns the folder.
   */
  public static Path materialize(String id, Path cacheDir) {
    Properties carrier = carrierProperties(id);
    String folderName = folderOf(id);
    Path dir = cacheDir.resolve("builtin").resolve(folderName);
    try {
      Files.createDirectories(dir.resolve("1_Pooling"));
      for (String f : CONFIG_FILES) {
        byte[] want = resourceBytes(ROOT + folderName + "/" + f);
        Path target = dir.resolve(f);
        if (!Files.isRegularFile(target) || !Arrays.equals(Files.readAllBytes(target), want)) {
          writeAtomically(target, want);
        }
      }
      copyResourceIfChanged(carrier.getProperty("tokenizer"), dir.resolve("tokenizer.json"));
      Files.createDirectories(dir.resolve("onnx"));
      copyResourceIfChanged(carrier.getProperty("onnx"), dir.resolve("onnx/model.onnx"));
    } catch (IOException e) {
      throw new QuarryException("Cannot lay out built-in model " + id + " in " + dir + ": " + e.getMessage()
          + ". Set QUARRY_HOME to a writable folder.", e);
    }
    return dir;
  }

  private static String folderOf(String id) {
    String found = find(id);
    if (found == null) {
      throw new QuarryException("'" + id + "' is not a built-in model. Built-in: " + ids()
          + (ids().isEmpty() ? " (none: add the dev.quarry:quarry-models artifact to the classpath)" : ""));
    }
    return found.substring(found.indexOf('/') + 1);
  }

  private static Properties carrierProperties(String id) {
    Properties p = new Properties();
    String res = ROOT + folderOf(id) + "/carrier.properties";
    try (InputStream in = open(res)) {
      p.load(in);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return p;
  }

  private static Properties index() {
    InputStream in = BuiltinModels.class.getClassLoader().getResourceAsStream(ROOT + "index.properties");
    if (in == null) {
      return null;
    }
    try (in) {
      Properties p = new Properties();
      p.load(in);
      return p;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static InputStream open(String resource) {
    InputStream in = BuiltinModels.class.getClassLoader().getResourceAsStream(resource);
    if (in == null) {
      throw new QuarryException("Classpath resource " + resource + " is missing: the quarry-models artifact"
          + " or its LangChain4j carrier jar is not on the classpath.");
    }
    return in;
  }

  private static byte[] resourceBytes(String resource) throws IOException {
    try (InputStream in = open(resource)) {
      return in.readAllBytes();
    }
  }

  /** Copies a (large) resource unless a file of the same size is already there. */
  private static void copyResourceIfChanged(String resource, Path target) throws IOException {
    long size = resourceSize(resource);
    if (Files.isRegularFile(target) && Files.size(target) == size) {
      return;
    }
    Path tmp = Files.createTempFile(target.getParent(), target.getFileName().toString(), ".part");
    try (InputStream in = open(resource)) {
      Files.copy(in, tmp, StandardCopyOption.REPLACE_EXISTING);
      Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } finally {
      Files.deleteIfExists(tmp);
    }
  }

  private static long resourceSize(String resource) throws IOException {
    var url = BuiltinModels.class.getClassLoader().getResource(resource);
    if (url == null) {
      throw new QuarryException("Classpath resource " + resource + " is missing: the LangChain4j carrier jar"
          + " for this built-in model is not on the classpath.");
    }
    var conn = url.openConnection();
    conn.setUseCaches(false);
    return conn.getContentLengthLong();
  }

  private static void writeAtomically(Path target, byte[] bytes) throws IOException {
    Path tmp = Files.createTempFile(target.getParent(), target.getFileName().toString(), ".part");
    Files.write(tmp, bytes);
    Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }
}
