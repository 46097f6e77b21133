package dev.quarry.cli;

import dev.quarry.QuarryException;
import dev.quarry.chunk.Chunk;
import dev.quarry.chunk.Chunker;
import dev.quarry.encode.Embeddings;
import dev.quarry.encode.EncodeOptions;
import dev.quarry.encode.Precision;
import dev.quarry.encode.SentenceTransformer;
import dev.quarry.encode.VectorsProvenance;
import dev.quarry.io.Json;
import dev.quarry.search.DocumentGrouping;
import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
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

  @Option(names = "--chunk", description = "Cut long texts into chunks the model reads whole (ids become ID#N) instead of truncating;"
      + " with -o FILE.npy, FILE.npy.chunks.jsonl says which text and characters each row holds.")
  boolean chunk;

  @Option(names = "--chunk-tokens", paramLabel = "N", description = "Word-pieces per chunk (default: the model's max_seq_length less special tokens).")
  Integer chunkTokens;

  @Option(names = "--chunk-overlap", paramLabel = "N", description = "Word-pieces shared by consecutive chunks (default: 32, or a quarter of a chunk under 128).")
  Integer chunkOverlap;

  @Override
  public Integer call() {
    Path in = input == null || input.equals("-") ? null : Path.of(input);
    TextInput texts = TextInput.read(in, jsonl || (in != null && in.toString().endsWith(".jsonl")), textField);
    if (chunkTokens != null && !chunk) {
      throw new QuarryException("--chunk-tokens needs --chunk.");
    }
    EncodeOptions options = EncodeOptions.defaults().withBatchSize(batchSize).withNormalize(normalize)
        .withPromptName(promptName).withPrompt(prompt).withMaxLength(maxLength)
        .withPrecision(Precision.fromId(precision)).withTruncateDim(truncateDim);
    if (texts.texts().size() > 2 * batchSize) {
      options = options.withProgress(new ProgressBar(System.err, "texts"));
    }
    long start = System.nanoTime();
    try (SentenceTransformer m = model.load()) {
      List<Chunk> origins = null;
      List<String> sourceIds = null;
      if (chunk) {
        // The same chunker as `quarry index` uses for files and --chunk-tokens corpora.
        Chunker chunker = Chunker.forModel(m, chunkTokens, chunkOverlap);
        List<List<Chunk>> pieces = chunker.chunkAll(texts.texts());
        List<String> ids = new ArrayList<>();
        List<String> chunkTexts = new ArrayList<>();
        origins = new ArrayList<>();
        sourceIds = new ArrayList<>();
        for (int i = 0; i < pieces.size(); i++) {
          for (Chunk c : pieces.get(i)) {
            ids.add(DocumentGrouping.chunkId(texts.ids().get(i), c.index()));
            chunkTexts.add(c.text());
            origins.add(c);
            sourceIds.add(texts.ids().get(i));
          }
        }
        System.err.printf(Locale.ROOT, "quarry: %d texts cut into %d chunks of at most %d word-pieces%n", texts.texts().size(),
            chunkTexts.size(), chunker.maxTokens());
        texts = new TextInput(ids, chunkTexts);
      }
      Embeddings e = m.encode(task, texts.texts(), options);
      EmbeddingOutput.write(output, texts.ids(), e);
      if (output != null && output.toString().endsWith(".npy")) {
        // How these vectors were made, for `quarry index --vectors` to check against the index's model.
        VectorsProvenance.of(m, task, options, e).write(output);
        if (origins != null) {
          writeChunks(Path.of(output + ".chunks.jsonl"), texts.ids(), sourceIds, origins);
        }
      }
      double secs = (System.nanoTime() - start) / 1e9;
      System.err.printf(Locale.ROOT, "quarry: encoded %d texts with %s in %.1f s (%d-d %s)%s%n", e.size(), m.folder().modelId(),
          secs, e.dimension(), e.precision().id(), output == null ? "" : " -> " + output);
    }
    return 0;
  }

  /** Row i of the matrix: its chunk id, the text it comes from, and where in that text it lies. */
  private static void writeChunks(Path file, List<String> ids, List<String> sourceIds, List<Chunk> chunks) {
    try (BufferedWriter w = Files.newBufferedWriter(file)) {
      for (int i = 0; i < ids.size(); i++) {
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("row", i);
        row.put("id", ids.get(i));
        row.put("document_id", sourceIds.get(i));
        row.put("start", chunks.get(i).start());
        row.put("end", chunks.get(i).end());
        row.put("tokens", chunks.get(i).tokens());
        w.write(Json.writer().writeValueAsString(row));
        w.write('\n');
      }
    } catch (IOException ex) {
      throw new QuarryException("Cannot write " + file + ": " + ex.getMessage(), ex);
    }
  }
}
