package dev.quarry.inference;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.quarry.Quarry;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** ONNX Runtime runs from the copy of its libraries under QUARRY_HOME, not a new temporary one. */
class OrtNativeTest {
  @Test
  void theLibrariesAreMappedFromTheKeptCopy() throws IOException {
    OrtNative.environment();
    String path = System.getProperty(OrtNative.PATH_PROPERTY);
    assertNotNull(path, "no native path was set");
    Path folder = Path.of(path);
    assertTrue(folder.startsWith(Quarry.home().resolve("native")), folder.toString());
    // What the process really mapped: the kept copy, whatever the property says.
    String maps = Files.readString(Path.of("/proc/self/maps"));
    assertTrue(maps.contains(folder.resolve("libonnxruntime.so").toString()), "libonnxruntime.so is mapped from elsewhere");
    assertTrue(maps.contains(folder.resolve("libonnxruntime4j_jni.so").toString()), "the JNI library is mapped from elsewhere");
  }
}
