package dev.quarry.cli;

import dev.quarry.QuarryException;
import dev.quarry.chunk.Chunker;
import dev.quarry.documents.DocumentExtractor;
import dev.quarry.documents.FolderSources;
import dev.quarry.encode.SentenceTransformer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Option;

/** How files are read and cut into chunks, and whether results are grouped into documents. */
final class DocumentOptions {
  @Option(names = "--chunk-tokens", paramLabel = "N",
      description = "Cut documents into chunks of at most N word-pieces of the model's tokenizer (default for files: all the model reads,"
          + " its max_seq_length less special tokens; for -d corpora: no chunking, passages cut at max_seq_length).")
  Integer chunkTokens;

  @Option(names = "--chunk-overlap", paramLabel = "N", description = "Word-pieces shared by consecutive chunks (default: 32, or a quarter of a chunk under 128).")
  Integer chunkOverlap;

  @Option(names = "--include", split = ",", paramLabel = "GLOB",
      description = "Files to read, as globs on the path under the folder (e.g. '**.pdf'); default: text, Markdown, HTML, PDF, Word,"
          + " ODF, RTF, EPUB, PowerPoint, CSV by extension.")
  List<String> include = new ArrayList<>();

  @Option(names = "--exclude", split = ",", paramLabel = "GLOB", description = "Files to leave out, as globs (e.g. 'drafts/**').")
  List<String> exclude = new ArrayList<>();

  @Option(names = "--hidden", description = "Also read hidden files and folders (names starting with '.'; .git among them).")
  boolean hidden;

  @Option(names = "--max-file-mb", paramLabel = "MB", description = "Skip files larger than this (default: ${DEFAULT-VALUE}).")
  int maxFileMb = DocumentExtractor.DEFAULT_MAX_FILE_MB;

  @Option(names = "--max-chars", paramLabel = "N", description = "Skip files whose text is longer than this (default: ${DEFAULT-VALUE}).")
  int maxChars = DocumentExtractor.DEFAULT_MAX_CHARS;

  @Option(names = "--parse-timeout", paramLabel = "SECONDS", description = "Give up on a file whose parser runs longer (default: ${DEFAULT-VALUE}).")
  int parseTimeoutSeconds = (int) DocumentExtractor.DEFAULT_TIMEOUT.toSeconds();

  @Option(names = "--group-by", paramLabel = "document|chunk",
      description = "Results over chunks: one per document, scored by its best chunk (default), or every chunk.")
  String groupBy = "document";

  boolean byDocument() {
    return switch (groupBy) {
      case "document" -> true;
      case "chunk" -> false;
      default -> throw new QuarryException("--group-by takes 'document' or 'chunk', not '" + groupBy + "'.");
    };
  }

  Chunker chunker(SentenceTransformer model) {
    return Chunker.forModel(model, chunkTokens, chunkOverlap);
  }

  FolderSources.Options walk() {
    return new FolderSources.Options(include, exclude, hidden);
  }

  DocumentExtractor extractor() {
    if (maxFileMb < 1 || maxChars < 1 || parseTimeoutSeconds < 1) {
      throw new QuarryException("--max-file-mb, --max-chars and --parse-timeout must be at least 1.");
    }
    return new DocumentExtractor(maxFileMb * 1024L * 1024L, maxChars, Duration.ofSeconds(parseTimeoutSeconds));
  }
}
