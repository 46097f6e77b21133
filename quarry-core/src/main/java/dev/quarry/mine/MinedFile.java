package dev.quarry.mine;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.quarry.QuarryException;
import dev.quarry.io.Json;
import dev.quarry.io.SafeFiles;
import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;

/**
 * Mined rows as JSONL, one object per line, what {@code quarry train --train-file} reads:
 * {@code anchor}, {@code positive}, {@code negative} (a string for triplets, an array for n-tuples),
 * and the ids they came from ({@code query_id}, {@code positive_id}, {@code negative_id(s)}) so a
 * reader can check them against the corpus. Written to a temporary file and renamed: a crash
 * leaves the old file or the new one, never half of one.
 */
public final class MinedFile {
  private MinedFile() {}

  public static void write(Path file, List<MinedRow> rows, MiningOptions.Format format) {
    Path target = file.toAbsolutePath();
    Path tmp = null;
    try {
      Files.createDirectories(target.getParent());
      tmp = Files.createTempFile(target.getParent(), target.getFileName().toString(), ".tmp");
      try (BufferedWriter w = Files.newBufferedWriter(tmp, StandardCharsets.UTF_8)) {
        for (MinedRow r : rows) {
          w.write(Json.writer().writeValueAsString(json(r, format)));
          w.write('\n');
        }
      }
      SafeFiles.sync(tmp);
      Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (IOException e) {
      throw new QuarryException("Cannot write " + file + ": " + e.getMessage(), e);
    } finally {
      if (tmp != null) {
        try {
          Files.deleteIfExists(tmp);
        } catch (IOException ignored) {
          // the rename happened, or the error above says why not
        }
      }
    }
  }

  private static ObjectNode json(MinedRow r, MiningOptions.Format format) {
    ObjectNode o = Json.object();
    o.put("query_id", r.queryId());
    o.put("anchor", r.anchor());
    o.put("positive_id", r.positiveId());
    o.put("positive", r.positive());
    if (format == MiningOptions.Format.TRIPLET) {
      o.put("negative_id", r.negativeIds().get(0));
      o.put("negative", r.negatives().get(0));
    } else {
      ArrayNode ids = o.putArray("negative_ids");
      r.negativeIds().forEach(ids::add);
      ArrayNode texts = o.putArray("negative");
      r.negatives().forEach(texts::add);
    }
    return o;
  }
}
