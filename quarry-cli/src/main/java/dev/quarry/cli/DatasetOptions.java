package dev.quarry.cli;

import dev.quarry.QuarryException;
import dev.quarry.data.BeirDataset;
import dev.quarry.model.ModelResolver;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Arrays;
import java.util.List;
import picocli.CommandLine.Option;

/** Which BEIR dataset to read: a folder, or the bundled AI question-answering set by name. */
final class DatasetOptions {
  /** The bundled dataset, shipped inside this jar. */
  static final String BUNDLED = "ai-qa";
  private static final List<String> BUNDLED_FILES = List.of("corpus.jsonl", "queries.jsonl", "qrels/train.tsv", "qrels/test.tsv");

  @Option(names = {"-d", "--dataset"}, paramLabel = "DIR",
      description = "A BEIR-layout folder (corpus.jsonl, queries.jsonl, qrels/<split>.tsv), or '" + BUNDLED
          + "' for the bundled AI question-answering set. Default: ${DEFAULT-VALUE}.")
  String dataset = BUNDLED;

  @Option(names = "--split", description = "qrels split to evaluate (default: ${DEFAULT-VALUE}).")
  String split = "test";

  @Option(names = "--skip-unknown-ids", description = "Drop qrels rows naming unknown query or corpus ids (counted) instead of failing.")
  boolean skipUnknownIds;

  Path folder() {
    Path p = Path.of(dataset);
    if (Files.isDirectory(p)) {
      return p;
    }
    if (dataset.equals(BUNDLED)) {
      return extractBundled();
    }
    throw new QuarryException("Dataset folder " + dataset + " does not exist (or pass '" + BUNDLED + "' for the bundled set).");
  }

  BeirDataset load() {
    BeirDataset d = BeirDataset.load(folder(), split, skipUnknownIds);
    if (d.skippedQrels() > 0) {
      System.err.println("quarry: skipped " + d.skippedQrels() + " qrels rows naming unknown ids");
    }
    return d;
  }

  /** Copies the bundled dataset out of the jar into the cache, so it reads like any folder. */
  static Path extractBundled() {
    Path dir = ModelResolver.defaults().cacheDir().resolve("datasets").resolve(BUNDLED);
    try {
      for (String f : BUNDLED_FILES) {
        Path target = dir.resolve(f);
        Files.createDirectories(target.getParent());
        try (InputStream in = DatasetOptions.class.getResourceAsStream("/dev/quarry/datasets/" + BUNDLED + "/" + f)) {
          if (in == null) {
            throw new QuarryException("The bundled dataset is missing from the jar (" + f + "): rebuild quarry-cli.");
          }
          byte[] bytes = in.readAllBytes();
          if (!Files.exists(target) || !Arrays.equals(Files.readAllBytes(target), bytes)) {
            Path tmp = Files.createTempFile(target.getParent(), "ds", ".tmp");
            Files.write(tmp, bytes);
            Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
          }
        }
      }
    } catch (IOException e) {
      throw new QuarryException("Cannot extract the bundled dataset to " + dir + ": " + e.getMessage(), e);
    }
    return dir;
  }
}
