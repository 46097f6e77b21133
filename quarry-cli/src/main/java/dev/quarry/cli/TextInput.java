package dev.quarry.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.quarry.QuarryException;
import dev.quarry.model.Json;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
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
    var decoder = StandardCharsets.UTF_8.newDecoder()
        .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT);
    try (BufferedReader r = new BufferedReader(new InputStreamReader(
        file == null ? System.in : Files.newInputStream(file), decoder))) {
      int lineNo = 0;
      for (String line; (line = readLine(r, name, lineNo + 1)) != null; ) {
        lineNo++;
        if (!jsonl) {
          ids.add(Integer.toString(lineNo - 1));
          texts.add(line);
          continue;
        }
        if (line.isBlank()) {
          continue;
        }
        JsonNode node;
        try {
          node = Json.MAPPER.readTree(line);
        } catch (JsonProcessingException e) {
          throw new QuarryException(name + " line " + lineNo + ": malformed JSON (" + e.getOriginalMessage() + ").");
        }
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

  private static String readLine(BufferedReader r, String name, int lineNo) throws IOException {
    try {
      return r.readLine();
    } catch (CharacterCodingException e) {
      throw new QuarryException(name + " line " + lineNo + ": invalid UTF-8. Re-encode the file as UTF-8.");
    }
  }
}
