package dev.quarry.cli;

import dev.quarry.encode.Embeddings;
import dev.quarry.encode.EncodeOptions;
import dev.quarry.encode.Precision;
import dev.quarry.encode.SentenceTransformer;
import dev.quarry.encode.VectorsProvenance;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code quarry encode}: texts in, embeddings out. */
@Command(name = "encode", mixinStandardHelpOptions = true,
    description = "Encode texts (plain text, one per line, or JSONL) into embeddings (JSONL or .npy).")
final class EncodeCommand implements Callable<Integer> {
  @Mixin ModelOptions model;

  @Parameters(index = "0", arity = "0..1", paramLabel = "INPUT", description = "Input file; - or absent for stdin.")
  String input;

  @Option(names = {"-o", "--output"}, description = "Output file: .npy for a NumPy matrix, anything else JSONL. Default: JSONL on stdout.")
  Path output;

  @Option(names = "--jsonl", description = "Read JSONL even if the input name does not end in .jsonl.")
  boolean jsonl;

  @Option(names = "--text-field", description = "JSONL field holding the text (default: ${DEFAULT-VALUE}).")
  String textField = "text";

  @Option(names = "--batch-size", description = "Texts per inference at most; long texts go in fewer (see --max-batch-tokens) (default: ${DEFAULT-VALUE}).")
  int batchSize = EncodeOptions.DEFAULT_BATCH_SIZE;

  @Option(names = "--normalize", description = "L2-normalise the output vectors.")
  boolean normalize;

  @Option(names = "--prompt-name", description = "A named prompt of the model (e.g. query, passage).")
  String promptName;

  @Option(names = "--prompt", description = "A literal prompt prepended to every text.")
  String prompt;

  @Option(names = "--max-length", description = "Tokens kept per text (default: the model's max_seq_length).")
  int maxLength;

  @Option(names = "--precision", description = "float32, int8, uint8, binary or ubinary (default: ${DEFAULT-VALUE}).")
  String precision = "float32";

  @Option(names = "--truncate-dim", description = "Keep the first N dimensions (Matryoshka).")
  int truncateDim;

  @Option(names = "--task", paramLabel = "TASK",
      description = "A Router model's route, as encode(task=...) takes it: query, document, ... (default: its default route)."
          + " Models without a Router ignore it.")
  String task;

  @Override
  public Integer call() {
    Path in = input == null || input.equals("-") ? null : Path.of(input);
    TextInput texts = TextInput.read(in, jsonl || (in != null && in.toString().endsWith(".jsonl")), textField);
    EncodeOptions options = EncodeOptions.defaults().withBatchSize(batchSize).withNormalize(normalize)
        .withPromptName(promptName).withPrompt(prompt).withMaxLength(maxLength)
        .withPrecision(Precision.fromId(precision)).withTruncateDim(truncateDim);
    if (texts.texts().size() > 2 * batchSize) {
      options = options.withProgress(new ProgressBar(System.err, "texts"));
    }
    long start = System.nanoTime();
    try (SentenceTransformer m = model.load()) {
      Embeddings e = m.encode(task, texts.texts(), options);
      EmbeddingOutput.write(output, texts.ids(), e);
      if (output != null && output.toString().endsWith(".npy")) {
        // How these vectors were made, for `quarry index --vectors` to check against the index's model.
        VectorsProvenance.of(m, task, options, e).write(output);
      }
      double secs = (System.nanoTime() - start) / 1e9;
      System.err.printf(Locale.ROOT, "quarry: encoded %d texts with %s in %.1f s (%d-d %s)%s%n", e.size(), m.folder().modelId(),
          secs, e.dimension(), e.precision().id(), output == null ? "" : " -> " + output);
    }
    return 0;
  }
}
