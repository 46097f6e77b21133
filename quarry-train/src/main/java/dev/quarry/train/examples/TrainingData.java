package dev.quarry.train.examples;

import com.fasterxml.jackson.databind.JsonNode;
import dev.quarry.QuarryException;
import dev.quarry.data.BeirDataset;
import dev.quarry.data.Document;
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
import java.util.Map;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVParser;
import org.apache.commons.csv.CSVRecord;

/** Reads training rows: (query, positive) pairs from BEIR qrels, or pairs and triplets from JSONL / CSV. */
public final class TrainingData {
  private TrainingData() {}

  /**
   * One row per relevant (query, document) judgement of the split (grade > 0), the document as
   * its title and text, as the evaluation encodes it.
   */
  public static List<TrainingExample> fromBeir(BeirDataset data) {
    List<TrainingExample> out = new ArrayList<>();
    for (Map.Entry<String, Map<String, Integer>> q : data.qrels().judgements().entrySet()) {
      String query = data.queries().get(q.getKey());
      for (Map.Entry<String, Integer> d : q.getValue().entrySet()) {
        if (d.getValue() <= 0) {
          continue;
        }
        int i = data.corpus().indexOf(d.getKey());
        if (query == null || i < 0) {
          continue; // BeirDataset already reported or rejected unknown ids
        }
        Document doc = data.corpus().get(i);
        out.add(new TrainingExample(query, doc.fullText(), List.of(),
            "qrels/" + data.split() + ".tsv (" + q.getKey() + ", " + d.getKey() + ")"));
      }
    }
    if (out.isEmpty()) {
      throw new QuarryException(data.dir().resolve("qrels/" + data.split() + ".tsv") + " has no relevant judgements to train on.");
    }
    return out;
  }

  /** JSONL or CSV by the file's extension. */
  public static List<TrainingExample> read(Path file) {
    return read(file, null);
  }

  /**
   * JSONL or CSV by the file's extension; ids in a JSONL file (what {@code quarry mine} writes) are
   * checked against {@code dataset}'s queries and corpus, or, without one, left unchecked.
   */
  public static List<TrainingExample> read(Path file, BeirDataset dataset) {
    String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
    if (name.endsWith(".jsonl") || name.endsWith(".json")) {
      return fromJsonl(file, dataset);
    } else if (name.endsWith(".csv") || name.endsWith(".tsv")) {
      return fromCsv(file);
    }
    throw new QuarryException("Cannot tell the format of " + file + ": use .jsonl, .csv or .tsv, or a BEIR folder.");
  }

  /** As {@link #fromJsonl(Path, BeirDataset)} without a dataset to check ids against. */
  public static List<TrainingExample> fromJsonl(Path file) {
    return fromJsonl(file, null);
  }

  /**
   * One object per line: {@code anchor} (or {@code query}), {@code positive}, and optionally
   * {@code negative} (a string or an array of strings). Rows written by {@code quarry mine} also
   * name where each text came from ({@code query_id}, {@code positive_id}, {@code negative_id} or
   * {@code negative_ids}); with {@code dataset}, every such id must exist there and its text must
   * be the one in the row, so a file mined from another corpus (or another version of it) is
   * refused instead of training on texts that no longer match their ids.
   */
  public static List<TrainingExample> fromJsonl(Path file, BeirDataset dataset) {
    List<TrainingExample> out = new ArrayList<>();
    try (InputStream in = Files.newInputStream(file); Utf8Lines lines = new Utf8Lines(in, file.toString())) {
      String line;
      while ((line = lines.next()) != null) {
        if (line.isBlank()) {
          continue;
        }
        String where = file + ":" + lines.lineNumber();
        JsonNode o = JsonlRecords.parseObject(line, file.toString(), lines.lineNumber());
        String anchor = text(o, where, "anchor", "query");
        String positive = text(o, where, "positive", "pos");
        List<String> negatives = strings(o.has("negative") ? o.get("negative") : o.get("neg"), where, "negative");
        if (dataset != null) {
          MinedIds.check(o, where, dataset, anchor, positive, negatives);
        }
        out.add(new TrainingExample(anchor, positive, negatives, where));
      }
    } catch (IOException e) {
      throw new QuarryException("Cannot read " + file + ": " + e.getMessage(), e);
    }
    return checkColumns(out, file);
  }

  /** A string or an array of non-empty strings; absent: none. */
  static List<String> strings(JsonNode v, String where, String name) {
    List<String> out = new ArrayList<>();
    if (v == null || v.isNull()) {
      return out;
    }
    if (!v.isTextual() && !v.isArray()) {
      throw new QuarryException(where + ": \"" + name + "\" must be a string or an array of strings.");
    }
    for (JsonNode n : v.isArray() ? v : List.of(v)) {
      if (!n.isTextual()) {
        throw new QuarryException(where + ": every entry of \"" + name + "\" must be a string.");
      }
      if (n.asText().isBlank()) {
        throw new QuarryException(where + ": an entry of \"" + name + "\" is empty.");
      }
      out.add(n.asText());
    }
    return out;
  }

  static String text(JsonNode o, String where, String name, String alias) {
    JsonNode v = o.has(name) ? o.get(name) : o.get(alias);
    if (v == null || !v.isTextual() || v.asText().isBlank()) {
      throw new QuarryException(where + ": missing or empty \"" + name + "\" (or \"" + alias + "\") string.");
    }
    return v.asText();
  }

  /**
   * Columns anchor, positive, then any number of negatives. A first row naming the columns
   * (anchor/query, positive/pos, ...) is a header; {@code .tsv} files are tab-separated.
   */
  public static List<TrainingExample> fromCsv(Path file) {
    boolean tsv = file.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".tsv");
    CSVFormat format = (tsv ? CSVFormat.TDF : CSVFormat.RFC4180).builder().setIgnoreEmptyLines(true).get();
    List<TrainingExample> out = new ArrayList<>();
    try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8); CSVParser parser = CSVParser.parse(r, format)) {
      for (CSVRecord rec : parser) {
        String where = file + ":" + parser.getCurrentLineNumber();
        if (rec.getRecordNumber() == 1 && isHeader(rec)) {
          continue;
        }
        if (rec.size() < 2) {
          throw new QuarryException(where + ": expected at least 2 columns (anchor, positive), found " + rec.size() + ".");
        }
        for (int c = 0; c < rec.size(); c++) {
          if (rec.get(c).isBlank()) {
            throw new QuarryException(where + ": column " + (c + 1) + " is empty.");
          }
        }
        List<String> negatives = new ArrayList<>();
        for (int c = 2; c < rec.size(); c++) {
          negatives.add(rec.get(c));
        }
        out.add(new TrainingExample(rec.get(0), rec.get(1), negatives, where));
      }
    } catch (IOException | UncheckedIOException e) {
      throw new QuarryException("Cannot read " + file + ": " + e.getMessage(), e);
    }
    return checkColumns(out, file);
  }

  private static boolean isHeader(CSVRecord rec) {
    String first = rec.get(0).trim().toLowerCase(Locale.ROOT);
    return first.equals("anchor") || first.equals("query") || first.equals("question");
  }

  /** MNRL stacks hard negatives column-wise, so every row needs the same number. */
  private static List<TrainingExample> checkColumns(List<TrainingExample> rows, Path file) {
    if (rows.isEmpty()) {
      throw new QuarryException(file + " holds no training rows.");
    }
    int n = rows.get(0).negatives().size();
    for (TrainingExample row : rows) {
      if (row.negatives().size() != n) {
        throw new QuarryException(row.source() + ": " + row.negatives().size() + " negatives, but the first row has "
            + n + "; every row needs the same number of hard negatives.");
      }
    }
    return rows;
  }
}
