package dev.quarry.data;

import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/** BEIR queries ({@code queries.jsonl}): id to text, in file order. */
public final class Queries {
  private final Map<String, String> byId;

  public Queries(Map<String, String> byId) {
    this.byId = Collections.unmodifiableMap(new LinkedHashMap<>(byId));
  }

  public static Queries read(Path file) {
    Map<String, String> m = new LinkedHashMap<>();
    JsonlRecords.forEach(file, r -> m.put(r.id(), JsonlRecords.text(r, "text", file, true)));
    return new Queries(m);
  }

  public Map<String, String> byId() {
    return byId;
  }

  public String get(String id) {
    return byId.get(id);
  }

  public boolean contains(String id) {
    return byId.containsKey(id);
  }

  public int size() {
    return byId.size();
  }
}
