package dev.quarry.train.examples;

import com.fasterxml.jackson.databind.JsonNode;
import dev.quarry.QuarryException;
import dev.quarry.data.JsonlRecords;
import dev.quarry.data.Utf8Lines;
import java.io.IOException;
import java.io.InputStream;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVParser;
import org.apache.commons.csv.CSVRecord;

/**
 * Reads (query, passage, label) rows for a cross-encoder, sentence-transformers' "labeled-pair"
 * layout: JSONL objects with {@code query} (or {@code anchor}), {@code passage} (or {@code
 * document}, {@code response}, {@code text}) and a numeric {@code label}; or CSV/TSV columns query,
 * passage, label with an optional header row. Each row names its file and line.
 */
public final class LabelledPairs {
  private LabelledPairs() {}

  public static List<RerankExample> read(Path file) {
    String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
    List<RerankExample> rows = name.endsWith(".csv") || name.endsWith(".tsv") ? fromCsv(file, name.endsWith(".tsv")) : fromJsonl(file);
    if (rows.isEmpty()) {
      throw new QuarryException(file + " holds no labelled pairs.");
    }
    return rows;
  }

  private static List<RerankExample> fromJsonl(Path file) {
    List<RerankExample> out = new ArrayList<>();
    try (InputStream in = Files.newInputStream(file); Utf8Lines lines = new Utf8Lines(in, file.toString())) {
      String line;
      while ((line = lines.next()) != null) {
        if (line.isBlank()) {
          continue;
        }
        String where = file + ":" + lines.lineNumber();
        JsonNode o = JsonlRecords.parseObject(line, file.toString(), lines.lineNumber());
        String query = TrainingData.text(o, where, "query", "anchor");
        String passage = null;
        for (String key : List.of("passage", "document", "response", "text")) {
          if (o.hasNonNull(key)) {
            passage = TrainingData.text(o, where, key, key);
            break;
          }
        }
        if (passage == null) {
          throw new QuarryException(where + ": missing \"passage\" (or \"document\", \"response\", \"text\") string.");
        }
        JsonNode label = o.get("label");
        if (label == null || !label.isNumber()) {
          throw new QuarryException(where + ": missing or non-numeric \"label\" (1 relevant, 0 not, or a grade).");
        }
        out.add(new RerankExample(query, List.of(passage), List.of(label.asDouble()), where));
      }
    } catch (IOException e) {
      throw new QuarryException("Cannot read " + file + ": " + e.getMessage(), e);
    }
    return out;
  }

  private static List<RerankExample> fromCsv(Path file, boolean tsv) {
    CSVFormat format = (tsv ? CSVFormat.TDF : CSVFormat.RFC4180).builder().setIgnoreEmptyLines(true).get();
    List<RerankExample> out = new ArrayList<>();
    try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8); CSVParser parser = CSVParser.parse(r, format)) {
      for (CSVRecord rec : parser) {
        String where = file + ":" + parser.getCurrentLineNumber();
        if (rec.getRecordNumber() == 1 && rec.size() >= 3 && !isNumber(rec.get(2))) {
          continue; // a header row: the label column holds a name
        }
        if (rec.size() != 3) {
          throw new QuarryException(where + ": expected 3 columns (query, passage, label), found " + rec.size() + ".");
        }
        if (rec.get(0).isBlank() || rec.get(1).isBlank()) {
          throw new QuarryException(where + ": column " + (rec.get(0).isBlank() ? 1 : 2) + " is empty.");
        }
        if (!isNumber(rec.get(2))) {
          throw new QuarryException(where + ": the label '" + rec.get(2) + "' (column 3) is not a number.");
        }
        out.add(new RerankExample(rec.get(0), List.of(rec.get(1)), List.of(Double.parseDouble(rec.get(2).trim())), where));
      }
    } catch (IOException | UncheckedIOException e) {
      throw new QuarryException("Cannot read " + file + ": " + e.getMessage(), e);
    }
    return out;
  }

  private static boolean isNumber(String s) {
    try {
      return Double.isFinite(Double.parseDouble(s.trim()));
    } catch (NumberFormatException e) {
      return false;
    }
  }
}
