package dev.quarry.modules;

import dev.quarry.io.Json;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Writes {@code modules.json}: the modules of a folder in order, each with its folder and class path. */
public final class ModulesFile {
  private ModulesFile() {}

  /**
   * One module.
   *
   * @param path its folder relative to the model's ("" for the Transformer, whose files are the model's own)
   */
  public record Entry(String path, ModuleType type) {}

  /** modules.json in {@code dir}, naming each module by its oldest class path, which every version loads. */
  public static void write(Path dir, List<Entry> modules) throws IOException {
    List<Map<String, Object>> out = new ArrayList<>();
    for (int i = 0; i < modules.size(); i++) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("idx", i);
      m.put("name", String.valueOf(i));
      m.put("path", modules.get(i).path());
      m.put("type", modules.get(i).type().writtenPath());
      out.add(m);
    }
    Json.prettyWriter().writeValue(dir.resolve("modules.json").toFile(), out);
  }

  /** The folder sentence-transformers gives module {@code idx}: {@code 1_Pooling}, {@code 2_Normalize}. */
  public static String folderName(int idx, ModuleType type) {
    return idx + "_" + type.simpleName();
  }
}
