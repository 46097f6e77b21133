package dev.quarry.cli;

import dev.quarry.encode.EncodeOptions;
import dev.quarry.encode.SentenceTransformer;
import dev.quarry.similarity.SimilarityFunction;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code quarry similarity A B}: the model's similarity of two texts. */
@Command(name = "similarity", mixinStandardHelpOptions = true, description = "Score two texts with the model's similarity function.")
final class SimilarityCommand implements Callable<Integer> {
  @Mixin ModelOptions model;

  @Parameters(index = "0", paramLabel = "A") String a;

  @Parameters(index = "1", paramLabel = "B") String b;

  @Option(names = "--similarity", description = "cosine, dot, euclidean or manhattan (default: the model's own).")
  String similarity;

  @Option(names = "--prompt-name", description = "Prompt applied to A (e.g. query); B gets none.")
  String promptName;

  @Override
  public Integer call() {
    try (SentenceTransformer m = model.load()) {
      SimilarityFunction fn = similarity != null ? SimilarityFunction.fromId(similarity) : m.similarityFunction();
      float[] ea = m.encode(List.of(a), EncodeOptions.defaults().withPromptName(promptName)).floats()[0];
      float[] eb = m.encode(b);
      System.out.printf(Locale.ROOT, "%.4f%n", fn.score(ea, eb));
      System.err.println("(" + fn.id() + ", " + m.folder().modelId() + ")");
    }
    return 0;
  }
}
