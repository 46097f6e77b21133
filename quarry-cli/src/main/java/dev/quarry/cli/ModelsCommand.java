package dev.quarry.cli;

import dev.quarry.model.BuiltinModels;
import dev.quarry.model.ModelFolder;
import dev.quarry.model.ModelKind;
import dev.quarry.model.ModelResolver;
import dev.quarry.modules.PoolingMode;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;

/** {@code quarry models}: the built-in models and their configuration; {@code quarry info -m M} describes any other. */
@Command(name = "models", mixinStandardHelpOptions = true, description = "List the built-in models and their configuration.")
final class ModelsCommand implements Callable<Integer> {
  @Override
  public Integer call() {
    String fmt = "%-50s %-19s %4s %7s %-8s %-9s %-7s %-40s %s%n";
    System.out.printf(Locale.ROOT, fmt, "model", "kind", "dim", "max_len", "pooling", "normalize", "sim", "onnx files", "prompts");
    ModelResolver resolver = ModelResolver.defaults();
    for (String id : BuiltinModels.ids()) {
      ModelFolder f = resolver.resolve(id);
      String pooling = f.pooling().modes().stream().map(PoolingMode::id).collect(Collectors.joining("+"));
      String prompts = f.prompts().isEmpty() ? "-" : f.prompts().entrySet().stream()
          .map(e -> e.getKey() + "=\"" + e.getValue() + "\"").collect(Collectors.joining(", "));
      System.out.printf(Locale.ROOT, fmt, id + (id.equals(BuiltinModels.defaultId()) ? " (default)" : ""),
          ModelKind.detect(f.root()).name(), f.dimension(),
          f.maxSeqLength(), pooling, f.normalizes(), f.similarity().id(), String.join(",", f.onnxVariants()), prompts);
    }
    System.out.println();
    for (String id : BuiltinModels.ids()) {
      ModelFolder f = resolver.resolve(id);
      System.out.printf(Locale.ROOT, "max_len of %s: %s%n", id, f.maxSeqLengthSource());
    }
    System.out.println("Weights: ONNX exports from " + BuiltinModels.ids().stream().map(BuiltinModels::carrier)
        .collect(Collectors.joining(", ")) + " (Maven Central).");
    return 0;
  }
}
