package dev.quarry.data;

import dev.quarry.QuarryException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;

/**
 * Relevance judgements: query id → (document id → grade). BEIR's {@code qrels/<split>.tsv} has a
 * header line and rows {@code query-id <TAB> corpus-id <TAB> score}. A document is relevant when
 * its grade is above 0; grades themselves feed graded NDCG.
 */
public final class Qrels {
  private final Map<String, Map<String, Integer>> judgements;

  public Qrels(Map<String, Map<String, Integer>> judgements) {
    Map<String, Map<String, Integer>> copy = new LinkedHashMap<>();
    judgements.forEach((q, docs) -> copy.put(q, Collections.unmodifiableMap(new LinkedHashMap<>(docs))));
    this.judgements = Collections.unmodifiableMap(copy);
  }

  /** Reads a qrels TSV; rows must have three columns and an integer grade. */
  public static Qrels read(Path file) {
    Map<String, Map<String, Integer>> m = new LinkedHashMap<>();
    try (Utf8Lines lines = new Utf8Lines(Files.newInputStream(file), file.toString())) {
      for (String line; (line = lines.next()) != null; ) {
        int n = lines.lineNumber();
        if (line.isBlank()) {
          continue;
        }
        String[] cols = line.split("\t", -1);
        if (n == 1 && cols.length >= 2 && cols[0].equals("query-id")) {
          continue;
        }
        if (cols.length != 3) {
          throw new QuarryException(file + " line " + n + ": expected 3 tab-separated columns"
              + " (query-id, corpus-id, score), found " + cols.length + ".");
        }
        int grade;
        try {
          grade = Integer.parseInt(cols[2].trim());
        } catch (NumberFormatException e) {
          throw new QuarryException(file + " line " + n + ": score '" + cols[2] + "' is not an integer.");
        }
        Integer previous = m.computeIfAbsent(cols[0].trim(), k -> new LinkedHashMap<>()).put(cols[1].trim(), grade);
        if (previous != null && previous != grade) {
          throw new QuarryException(file + " line " + n + ": query " + cols[0] + " judges document " + cols[1]
              + " twice with different scores (" + previous + ", " + grade + ").");
        }
      }
    } catch (NoSuchFileException e) {
      throw new QuarryException("Missing file " + file + ": no such split. Look in " + file.getParent() + " for the splits there are.");
    } catch (IOException e) {
      throw new QuarryException("Cannot read " + file + ": " + e.getMessage(), e);
    }
    return new Qrels(m);
  }

  /** All judgements, including grade-0 (judged not relevant) ones. */
  public Map<String, Map<String, Integer>> judgements() {
    return judgements;
  }

  /** The grade of a document for a query; 0 when not judged. */
  public int grade(String queryId, String docId) {
    return judgements.getOrDefault(queryId, Map.of()).getOrDefault(docId, 0);
  }

  /** Ids of the documents judged relevant (grade &gt; 0) for a query. */
  public Set<String> relevant(String queryId) {
    Set<String> out = new LinkedHashSet<>();
    judgements.getOrDefault(queryId, Map.of()).forEach((d, g) -> {
      if (g > 0) {
        out.add(d);
      }
    });
    return out;
  }

  /** Number of query ids with at least one judgement. */
  public int queryCount() {
    return judgements.size();
  }

  public int size() {
    return judgements.values().stream().mapToInt(Map::size).sum();
  }
}
