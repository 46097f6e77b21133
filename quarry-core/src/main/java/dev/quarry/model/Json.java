package dev.quarry.model;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.quarry.QuarryException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/** Reads the small JSON config files of a model folder, with errors that name the file. */
public final class Json {
  public static final ObjectMapper MAPPER = new ObjectMapper();

  private Json() {}

  /** Parses {@code file}; a missing file or malformed JSON is a {@link QuarryException}. */
  public static JsonNode read(Path file) {
    try {
      return MAPPER.readTree(Files.readString(file));
    } catch (NoSuchFileException e) {
      throw new QuarryException("Missing file " + file + ": the model folder is incomplete;"
          + " re-download or re-export the model.");
    } catch (JsonProcessingException e) {
      throw new QuarryException("Corrupt JSON in " + file + " at line "
          + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr() + ": "
          + e.getOriginalMessage() + ". Fix or re-download the file.", e);
    } catch (IOException e) {
      throw new QuarryException("Cannot read " + file + ": " + e.getMessage(), e);
    }
  }

  /** Parses {@code file} if it exists, else returns null. */
  public static JsonNode readIfExists(Path file) {
    return Files.isRegularFile(file) ? read(file) : null;
  }

  static int requireInt(JsonNode node, String field, Path file) {
    JsonNode v = node.get(field);
    if (v == null || !v.canConvertToInt()) {
      throw new QuarryException("Field '" + field + "' in " + file + " is missing or not an integer.");
    }
    return v.intValue();
  }
}
