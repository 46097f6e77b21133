package dev.quarry.cli;

import dev.quarry.QuarryException;
import dev.quarry.inference.BertConfig;
import dev.quarry.inference.BertWeights;
import dev.quarry.inference.OnnxBertExporter;
import dev.quarry.model.ModelFolder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code quarry export-onnx}: turns a BERT model with PyTorch weights only (model.safetensors, as
 * on the hub) into one the ONNX Runtime path serves, by writing onnx/model.onnx beside them.
 */
@Command(name = "export-onnx", mixinStandardHelpOptions = true,
    description = "Write onnx/model.onnx for a BERT model that has model.safetensors only, so encode/eval/serve can load it.")
final class ExportOnnxCommand implements Callable<Integer> {
  @Mixin ModelOptions model;

  @Option(names = {"-o", "--output"}, paramLabel = "FILE", description = "Where the graph goes (default: <model>/onnx/model.onnx).")
  Path output;

  @Override
  public Integer call() throws Exception {
    ModelFolder folder = model.resolveForTraining();
    Path weights = folder.transformerDir().resolve("model.safetensors");
    if (!Files.isRegularFile(weights)) {
      throw new QuarryException("No model.safetensors in " + folder.transformerDir() + " to export.");
    }
    BertConfig config = BertConfig.read(folder.transformerDir().resolve("config.json"));
    Path target = output != null ? output : folder.root().resolve("onnx").resolve("model.onnx");
    Path tmp = target.resolveSibling(target.getFileName() + ".tmp");
    OnnxBertExporter.export(config, BertWeights.fromSafetensors(weights, config), tmp);
    Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    System.out.printf(Locale.ROOT, "Wrote %s (%d layers, hidden %d, %.1f MB)%n", target, config.numHiddenLayers(), config.hiddenSize(),
        Files.size(target) / 1e6);
    return 0;
  }
}
