package dev.quarry.data;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.quarry.QuarryException;
import dev.quarry.io.Json;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import java.util.function.Consumer;

/**
 * Streams the records of a BEIR JSONL file ({@code corpus.jsonl}, {@code queries.jsonl}) one at a
 * time, so a corpus never has to fit in memory to be read. Each record must be a JSON object with
 * a string {@code _id} that no earlier record used; blank lines are skipped.
 */
public final class JsonlRecords {
  private JsonlRecords() {}

  /** A record with its id and the line it came from, for error messages further down. */
  record Record(String id, JsonNode node, int line) {}

  static void forEach(Path file, Consumer<Record> consumer) {
    Set<String> seen = new HashSet<>();
    try (Utf8Lines lines = new Utf8Lines(Files.newInputStream(file), file.toString())) {
      for (String line; (line = lines.next()) != null; ) {
        int n = lines.lineNumber();
        if (line.isBlank()) {
          continue;
        }
        Record r = record(line, file, n);
        if (!seen.add(r.id())) {
          throw new QuarryException(file + " line " + n + ": duplicate _id '" + r.id() + "'.");
        }
        consumer.accept(r);
      }
    } catch (NoSuchFileException e) {
      throw new QuarryException("Missing file " + file + ": a BEIR dataset folder holds corpus.jsonl, queries.jsonl and qrels/<split>.tsv.");
    } catch (IOException e) {
      throw new QuarryException("Cannot read " + file + ": " + e.getMessage(), e);
    }
  }

  /** One non-blank line as a record with a non-empty {@code _id}; errors name the file and line. */
  static Record record(String line, Path file, int n) {
    JsonNode node = parseObject(line, file.toString(), n);
    JsonNode id = node.get("_id");
    if (id == null || id.isNull() || !(id.isTextual() || id.isNumber()) || id.asText().isEmpty()) {
      throw new QuarryException(file + " line " + n + ": missing or empty '_id'.");
    }
    return new Record(id.asText(), node, n);
  }

  /** Parses one JSONL line that must hold a JSON object; errors name the file and line. */
  public static JsonNode parseObject(String line, String file, int lineNumber) {
    JsonNode node;
    try {
      node = Json.reader().readTree(line);
    } catch (JsonProcessingException e) {
      throw new QuarryException(file + " line " + lineNumber + ": malformed JSON (" + e.getOriginalMessage() + ").");
    }
    if (node == null || !node.isObject()) {
      throw new QuarryException(file + " line " + lineNumber + ": expected a JSON object.");
    }
    return node;
  }

  static String text(Record r, String field, Path file, boolean required) {
    JsonNode v = r.node().get(field);
    if (v == null || v.isNull()) {
      if (required) {
        throw new QuarryException(file + " line " + r.line() + ": missing field '" + field + "' (record " + r.id() + ").");
      }
      return "";
    }
    if (!v.isTextual()) {
      throw new QuarryException(file + " line " + r.line() + ": field '" + field + "' must be a string (record " + r.id() + ").");
    }
    return v.asText();
  }
}
