package dev.quarry.data;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.quarry.QuarryException;
import dev.quarry.io.Json;
import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

/**
 * A deterministic BEIR-layout corpus of any size for tests and benchmarks: passages recombined from
 * the sentences of a real corpus (so lengths and vocabulary are realistic), plus queries and qrels
 * (each query is a shortened sentence of the one passage it is judged relevant to, so retrieval
 * quality can still be checked at size). The same source, size and seed give the same files.
 */
public final class CorpusGenerator {
  private final List<String> sentences;
  private final List<String> titles;

  private CorpusGenerator(List<String> sentences, List<String> titles) {
    this.sentences = sentences;
    this.titles = titles;
  }

  /** Sentences and titles of a BEIR {@code corpus.jsonl}. */
  public static CorpusGenerator from(Path sourceCorpus) {
    List<String> sentences = new ArrayList<>();
    List<String> titles = new ArrayList<>();
    Corpus.stream(sourceCorpus, d -> {
      if (!d.title().isBlank()) {
        titles.add(d.title());
      }
      for (String s : d.text().split("(?<=[.!?])\\s+")) {
        if (s.length() >= 20) {
          sentences.add(s.strip());
        }
      }
    });
    if (sentences.size() < 10) {
      throw new QuarryException(sourceCorpus + " has too few sentences (" + sentences.size() + ") to generate a corpus from.");
    }
    return new CorpusGenerator(sentences, titles.isEmpty() ? List.of("") : titles);
  }

  /**
   * Writes {@code corpus.jsonl}, {@code queries.jsonl} and {@code qrels/test.tsv} under {@code dir}.
   *
   * @param passages how many passages (ids {@code p0}, {@code p1}, ...)
   * @param queryEvery one query for every this many passages
   */
  public void write(Path dir, int passages, int queryEvery, long seed) {
    Random random = new Random(seed);
    try {
      Files.createDirectories(dir.resolve("qrels"));
      try (BufferedWriter corpus = Files.newBufferedWriter(dir.resolve("corpus.jsonl"), StandardCharsets.UTF_8);
          BufferedWriter queries = Files.newBufferedWriter(dir.resolve("queries.jsonl"), StandardCharsets.UTF_8);
          BufferedWriter qrels = Files.newBufferedWriter(dir.resolve("qrels/test.tsv"), StandardCharsets.UTF_8)) {
        qrels.write("query-id\tcorpus-id\tscore\n");
        for (int i = 0; i < passages; i++) {
          int n = 2 + random.nextInt(7); // 2-8 sentences: SciFact-like lengths
          String[] picked = new String[n];
          for (int j = 0; j < n; j++) {
            picked[j] = sentences.get(random.nextInt(sentences.size()));
          }
          ObjectNode doc = Json.object();
          doc.put("_id", "p" + i);
          doc.put("title", titles.get(random.nextInt(titles.size())));
          doc.put("text", String.join(" ", picked));
          corpus.write(Json.writer().writeValueAsString(doc));
          corpus.write('\n');
          if (i % queryEvery == 0) {
            String[] words = picked[random.nextInt(n)].split("\\s+");
            ObjectNode q = Json.object();
            q.put("_id", "q" + i);
            q.put("text", String.join(" ", Arrays.copyOf(words, Math.min(words.length, 12))));
            queries.write(Json.writer().writeValueAsString(q));
            queries.write('\n');
            qrels.write("q" + i + "\tp" + i + "\t1\n");
          }
        }
      }
    } catch (IOException e) {
      throw new QuarryException("Cannot write the generated corpus to " + dir + ": " + e.getMessage(), e);
    }
  }
}
