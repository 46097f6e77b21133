package dev.quarry.cli;

import dev.quarry.QuarryException;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code quarry} command. */
@Command(name = "quarry", mixinStandardHelpOptions = true, version = "quarry 0.1.0",
    description = "Semantic search and question answering retrieval on the JVM (sentence-transformers models).",
    subcommands = {EncodeCommand.class, SimilarityCommand.class, IndexCommand.class, SearchCommand.class, EvalCommand.class, ModelsCommand.class, ServeCommand.class, DemoCommand.class})
public final class QuarryCli implements Runnable {
  @Override
  public void run() {
    new CommandLine(this).usage(System.out);
  }

  public static void main(String[] args) {
    System.exit(run(args));
  }

  /** Runs the CLI and returns its exit code; errors print their message, not a stack trace. */
  public static int run(String... args) {
    CommandLine cl = new CommandLine(new QuarryCli());
    cl.setExecutionExceptionHandler((ex, cmd, parsed) -> {
      if (ex instanceof QuarryException) {
        cmd.getErr().println("quarry: " + ex.getMessage());
        return 2;
      }
      throw ex;
    });
    return cl.execute(args);
  }
}
