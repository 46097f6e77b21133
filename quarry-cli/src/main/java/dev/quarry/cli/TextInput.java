package dev.quarry.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.quarry.QuarryException;
import dev.quarry.data.JsonlRecords;
import dev.quarry.data.Utf8Lines;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Texts to encode, read from plain text (one per line) or JSONL (one object per line, the text in
 * a chosen field, an id kept from {@code _id} or {@code id}). Invalid UTF-8 and malformed lines
 * are errors naming the file and line, never skipped silently.
 */
record TextInput(List<String> ids, List<String> texts) {

  static TextInput read(Path file, boolean jsonl, String textField) {
    String name = file == null ? "<stdin>" : file.toString();
    List<String> ids = new ArrayList<>();
    List<String> texts = new ArrayList<>();
    try (Utf8Lines lines = new Utf8Lines(file == null ? System.in : Files.newInputStream(file), name)) {
      for (String line; (line = lines.next()) != null; ) {
        int lineNo = lines.lineNumber();
        if (!jsonl) {
          ids.add(Integer.toString(lineNo - 1));
          texts.add(line);
          continue;
        }
        if (line.isBlank()) {
          continue;
        }
        JsonNode node = JsonlRecords.parseObject(line, name, lineNo);
        JsonNode text = node.get(textField);
        if (text == null || !text.isTextual()) {
          throw new QuarryException(name + " line " + lineNo + ": field '" + textField
              + "' is missing or not a string. Choose the field with --text-field.");
        }
        JsonNode id = node.hasNonNull("_id") ? node.get("_id") : node.get("id");
        ids.add(id != null && !id.isNull() ? id.asText() : Integer.toString(texts.size()));
        texts.add(text.asText());
      }
    } catch (IOException e) {
      throw new QuarryException("Cannot read " + name + ": " + e.getMessage(), e);
    }
    return new TextInput(ids, texts);
  }

}
