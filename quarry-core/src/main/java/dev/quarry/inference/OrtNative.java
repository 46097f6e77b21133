package dev.quarry.inference;

import ai.onnxruntime.OrtEnvironment;
import dev.quarry.Quarry;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Locale;

/**
 * ONNX Runtime's environment, with its native libraries loaded from a copy kept under {@code
 * QUARRY_HOME/native}.
 *
 * <p>Left to itself, ONNX Runtime's Java binding copies its 22 MB library out of its jar into a new
 * temporary folder at every start (0.15-0.3 s of each command's start, measured). Its documented
 * {@code onnxruntime.native.path} property loads the libraries from a folder instead: this class
 * fills one folder per binding jar and platform, once, and points the property at it. Where that
 * cannot be done (an unknown platform, a read-only home) the binding does what it always did.
 */
final class OrtNative {
  static final String PATH_PROPERTY = "onnxruntime.native.path";
  private static final List<String> LIBRARIES = List.of("libonnxruntime.so", "libonnxruntime4j_jni.so");
  private static boolean prepared;

  private OrtNative() {}

  /** The process's ONNX Runtime environment. */
  static OrtEnvironment environment() {
    prepare();
    return OrtEnvironment.getEnvironment();
  }

  private static synchronized void prepare() {
    if (prepared) {
      return;
    }
    prepared = true;
    String platform = linuxPlatform();
    if (platform == null || System.getProperty(PATH_PROPERTY) != null) {
      return;
    }
    try {
      Path folder = Quarry.home().resolve("native").resolve(bindingJarName() + "-" + platform);
      if (!complete(folder)) {
        extract(platform, folder);
      }
      System.setProperty(PATH_PROPERTY, folder.toString());
    } catch (IOException | RuntimeException e) {
      // The binding extracts its own copy, as it does without this class.
    }
  }

  /** The binding's resource folder name on Linux (the only platform whose file names we know here), or null. */
  private static String linuxPlatform() {
    if (!System.getProperty("os.name", "").toLowerCase(Locale.ROOT).startsWith("linux")) {
      return null;
    }
    return switch (System.getProperty("os.arch", "")) {
      case "amd64", "x86_64" -> "linux-x64";
      case "aarch64" -> "linux-aarch64";
      default -> null;
    };
  }

  /** The jar the binding came from ("onnxruntime-1.23.2.jar"): a new version gets a folder of its own. */
  private static String bindingJarName() {
    String location = OrtEnvironment.class.getProtectionDomain().getCodeSource().getLocation().getPath();
    String name = location.substring(location.lastIndexOf('/', location.length() - 2) + 1).replaceAll("[^A-Za-z0-9._-]", "_");
    if (name.isEmpty()) {
      throw new IllegalStateException("no jar name in " + location);
    }
    return name;
  }

  private static boolean complete(Path folder) {
    return LIBRARIES.stream().allMatch(lib -> Files.isRegularFile(folder.resolve(lib)));
  }

  /** Copies the libraries into a fresh folder that is then renamed: another process sees all of it or nothing. */
  private static void extract(String platform, Path folder) throws IOException {
    Files.createDirectories(folder.getParent());
    Path tmp = Files.createTempDirectory(folder.getParent(), folder.getFileName() + ".");
    try {
      for (String lib : LIBRARIES) {
        try (InputStream in = OrtEnvironment.class.getResourceAsStream("/ai/onnxruntime/native/" + platform + "/" + lib)) {
          if (in == null) {
            throw new IOException(lib + " is not in the binding's jar");
          }
          Files.copy(in, tmp.resolve(lib));
        }
      }
      Files.move(tmp, folder, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      if (!complete(folder)) { // unless another process got there first
        throw e;
      }
    } finally {
      if (Files.exists(tmp)) {
        for (String lib : LIBRARIES) {
          Files.deleteIfExists(tmp.resolve(lib));
        }
        Files.deleteIfExists(tmp);
      }
    }
  }
}
