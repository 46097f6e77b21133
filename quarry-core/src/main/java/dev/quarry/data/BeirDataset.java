package dev.quarry.data;

import dev.quarry.QuarryException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A BEIR-layout dataset: {@code corpus.jsonl}, {@code queries.jsonl}, {@code qrels/<split>.tsv},
 * checked against each other. Qrels rows that name an unknown query or document are an error,
 * unless {@code skipUnknownIds} is set, in which case they are dropped and counted.
 *
 * @param skippedQrels rows dropped because they named unknown ids (0 unless skipping)
 */
public record BeirDataset(Path dir, String split, Corpus corpus, Queries queries, Qrels qrels, int skippedQrels) {

  public static BeirDataset load(Path dir, String split, boolean skipUnknownIds) {
    if (!Files.isDirectory(dir)) {
      throw new QuarryException("Dataset folder " + dir + " does not exist.");
    }
    Path qrelsFile = dir.resolve("qrels").resolve(split + ".tsv");
    Corpus corpus = Corpus.read(dir.resolve("corpus.jsonl"));
    Queries queries = Queries.read(dir.resolve("queries.jsonl"));
    Qrels raw = Qrels.read(qrelsFile);
    Map<String, Map<String, Integer>> kept = new LinkedHashMap<>();
    int skipped = 0;
    for (var q : raw.judgements().entrySet()) {
      for (var d : q.getValue().entrySet()) {
        String problem = !queries.contains(q.getKey()) ? "query id '" + q.getKey() + "' is not in queries.jsonl"
            : !corpus.contains(d.getKey()) ? "corpus id '" + d.getKey() + "' is not in corpus.jsonl" : null;
        if (problem != null) {
          if (!skipUnknownIds) {
            throw new QuarryException(qrelsFile + ": " + problem + ". Fix the file, or pass --skip-unknown-ids"
                + " to drop such rows (they are counted and reported).");
          }
          skipped++;
          continue;
        }
        kept.computeIfAbsent(q.getKey(), k -> new LinkedHashMap<>()).put(d.getKey(), d.getValue());
      }
    }
    Qrels qrels = new Qrels(kept);
    if (qrels.judgements().values().stream().noneMatch(m -> m.values().stream().anyMatch(g -> g > 0))) {
      throw new QuarryException(qrelsFile + " has no relevance judgement above 0" + (skipped > 0
          ? " once " + skipped + " rows with unknown ids were skipped" : "") + ": the split is empty.");
    }
    return new BeirDataset(dir, split, corpus, queries, qrels, skipped);
  }
}
