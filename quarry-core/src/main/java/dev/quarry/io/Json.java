package dev.quarry.io;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.ObjectWriter;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.quarry.QuarryException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * Quarry's one JSON configuration, behind immutable readers and writers: nobody can reconfigure
 * the shared mapper for everyone else. Reading a file gives errors that name it, with line and
 * column.
 */
public final class Json {
  // Numbers are parsed with Jackson's bundled FastDoubleParser: as exactly rounded as
  // Double.parseDouble, which falls back to big-integer arithmetic for the 17-digit numbers that
  // clients write for float vectors (a 384-number query vector took most of a millisecond).
  private static final ObjectMapper MAPPER = JsonMapper.builder().enable(StreamReadFeature.USE_FAST_DOUBLE_PARSER).build();
  private static final ObjectReader READER = MAPPER.reader();
  private static final ObjectWriter WRITER = MAPPER.writer();
  private static final ObjectWriter PRETTY = MAPPER.writerWithDefaultPrettyPrinter();

  private Json() {}

  public static ObjectReader reader() {
    return READER;
  }

  public static ObjectWriter writer() {
    return WRITER;
  }

  /** Indented output, for files people read (configs, trainer state). */
  public static ObjectWriter prettyWriter() {
    return PRETTY;
  }

  public static JsonFactory factory() {
    return MAPPER.getFactory();
  }

  public static ObjectNode object() {
    return MAPPER.createObjectNode();
  }

  public static ArrayNode array() {
    return MAPPER.createArrayNode();
  }

  /** A value (records, maps, lists) as a tree. */
  public static JsonNode tree(Object value) {
    return MAPPER.valueToTree(value);
  }

  /** A tree as a typed value. */
  public static <T> T convert(JsonNode node, TypeReference<T> type) {
    return MAPPER.convertValue(node, type);
  }

  /** Parses {@code file}; a missing file or malformed JSON is a {@link QuarryException} naming it. */
  public static JsonNode read(Path file) {
    try {
      return READER.readTree(Files.readString(file));
    } catch (NoSuchFileException e) {
      throw new QuarryException("Missing file " + file + ".");
    } catch (JsonProcessingException e) {
      JsonLocation at = e.getLocation();
      throw new QuarryException("Corrupt JSON in " + file + (at == null ? "" : " at line " + at.getLineNr() + ", column "
          + at.getColumnNr()) + ": " + e.getOriginalMessage() + ". Fix or recreate the file.", e);
    } catch (IOException e) {
      throw new QuarryException("Cannot read " + file + ": " + e.getMessage(), e);
    }
  }

  /** Parses {@code file} if it exists, else returns null. */
  public static JsonNode readIfExists(Path file) {
    return Files.isRegularFile(file) ? read(file) : null;
  }

  /** An integer field of a config file, or an error naming the field and the file. */
  public static int requireInt(JsonNode node, String field, Path file) {
    JsonNode v = node.get(field);
    if (v == null || !v.canConvertToInt()) {
      throw new QuarryException("Field '" + field + "' in " + file + " is missing or not an integer.");
    }
    return v.intValue();
  }
}
