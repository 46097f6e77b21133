package dev.quarry.cli;

import dev.quarry.model.ModelInfo;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/**
 * {@code quarry info -m MODEL}: what a folder holds (kind, modules and their layout, routes, max
 * length and its source, prompts, ONNX files), for any kind of sentence-transformers folder.
 */
@Command(name = "info", mixinStandardHelpOptions = true,
    description = "Describe a model: kind (SentenceTransformer, CrossEncoder, SparseEncoder), modules, routes, max length"
        + " and where it came from, prompts and ONNX files.")
final class InfoCommand implements Callable<Integer> {
  @Mixin ModelOptions model;

  @Override
  public Integer call() {
    ModelInfo info = model.describe();
    int width = info.fields().keySet().stream().mapToInt(String::length).max().orElse(10);
    for (Map.Entry<String, String> e : info.fields().entrySet()) {
      System.out.printf(Locale.ROOT, "%-" + width + "s  %s%n", e.getKey(), e.getValue());
    }
    return 0;
  }
}
