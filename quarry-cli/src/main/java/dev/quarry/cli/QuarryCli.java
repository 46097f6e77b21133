package dev.quarry.cli;

import dev.quarry.QuarryException;
import dev.quarry.QuarryFailure;
import java.util.logging.Level;
import java.util.logging.Logger;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code quarry} command. */
@Command(name = "quarry", mixinStandardHelpOptions = true, version = "quarry 0.1.0",
    description = "Semantic search and question answering retrieval on the JVM (sentence-transformers models).",
    subcommands = {EncodeCommand.class, SimilarityCommand.class, IndexCommand.class, SearchCommand.class, RerankCommand.class, EvalCommand.class, ModelsCommand.class, InfoCommand.class, ServeCommand.class, TrainCommand.class, TrainRerankerCommand.class, MineCommand.class, CompareRunsCommand.class, ExportOnnxCommand.class, QuantizeCommand.class, DemoCommand.class})
public final class QuarryCli implements Runnable {
  static {
    // The library reports through System.Logger (java.util.logging here): one line per record on
    // stderr, as the CLI's own messages look, with the stack trace when there is one. Set before
    // any logger exists (the field below creates one), since JUL reads it when its handler is made.
    if (System.getProperty("java.util.logging.SimpleFormatter.format") == null) {
      System.setProperty("java.util.logging.SimpleFormatter.format", "quarry: %5$s%6$s%n");
    }
  }

  /**
   * Lucene reports its vectorisation and mmap choices through java.util.logging at start-up:
   * useful to Lucene developers, noise on a command line. Held in a field because the logging
   * framework keeps loggers only weakly, and a collected logger forgets its level.
   */
  private static final Logger LUCENE_LOG = Logger.getLogger("org.apache.lucene");

  @Override
  public void run() {
    new CommandLine(this).usage(System.out);
  }

  public static void main(String[] args) {
    LUCENE_LOG.setLevel(Level.SEVERE);
    System.exit(run(args));
  }

  /**
   * Runs the CLI and returns its exit code: 0, 2 for a user error ({@link QuarryException}, bad
   * options), 1 for a failure of the environment ({@link QuarryFailure}) or a bug (with its stack
   * trace). Known errors print their message, not a stack trace.
   */
  public static int run(String... args) {
    CommandLine cl = new CommandLine(new QuarryCli());
    cl.setExecutionExceptionHandler((ex, cmd, parsed) -> {
      if (ex instanceof QuarryException) { // the user's input: say what to change
        cmd.getErr().println("quarry: " + ex.getMessage());
        return 2;
      }
      if (ex instanceof QuarryFailure) { // the environment: disk, I/O, native errors
        cmd.getErr().println("quarry: " + ex.getMessage() + (ex.getCause() == null ? "" : " (" + ex.getCause() + ")"));
        return 1;
      }
      throw ex;
    });
    return cl.execute(args);
  }
}
