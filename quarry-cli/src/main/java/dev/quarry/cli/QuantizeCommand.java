package dev.quarry.cli;

import dev.quarry.QuarryException;
import dev.quarry.model.CrossEncoderFolder;
import dev.quarry.model.ModelFolder;
import dev.quarry.model.ModelKind;
import dev.quarry.train.export.OnnxQuantizer;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.regex.Pattern;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code quarry quantize}: a dynamically quantised int8 ONNX file beside the model's float one. */
@Command(name = "quantize", mixinStandardHelpOptions = true,
    description = {"Write a dynamically quantised (int8 weights, uint8 activations at run time) ONNX file next to the model's",
        "float one, named as sentence-transformers names it; load it with --onnx-file."})
final class QuantizeCommand implements Callable<Integer> {
  @Mixin ModelOptions model;

  @Option(names = "--file-name", description = "Name under <model>/onnx/ (default: ${DEFAULT-VALUE}).")
  String fileName = OnnxQuantizer.DEFAULT_FILE_NAME;

  @Option(names = "--per-tensor", description = "One scale per weight matrix instead of one per output column.")
  boolean perTensor;

  @Option(names = "--form", description = "matmul-integer (standard ONNX: DynamicQuantizeLinear + MatMulInteger, which ONNX Runtime"
      + " fuses into MatMulIntegerToFloat; the default, faster) or dynamic-quantize-matmul (ONNX Runtime's contrib operator).")
  String form = "matmul-integer";

  @Option(names = "--reduce-range", description = "7-bit weights, as quantize_dynamic(reduce_range=True): for CPUs with AVX2 but"
      + " without VNNI, whose u8 x s8 kernel can saturate on full-range weights. Costs one bit of weight precision.")
  boolean reduceRange;

  @Option(names = "--keep-float", paramLabel = "REGEX",
      description = "Leave float the MatMuls whose node name matches, e.g. 'layer\\.11/' (last layer) or '/output/dense/' (feed-forward outputs).")
  String keepFloat;

  @Override
  public Integer call() {
    // A cross-encoder is quantised the same way: its classifier head is two more MatMuls.
    Path located = model.locate();
    boolean crossEncoder = ModelKind.detect(located).name().equals(ModelKind.CROSS_ENCODER);
    Path floatGraph;
    Path root;
    String id;
    if (crossEncoder) {
      CrossEncoderFolder ce = model.resolveCrossEncoder();
      floatGraph = ce.onnxFile();
      root = ce.transformerDir();
      id = ce.modelId();
    } else {
      ModelFolder folder = model.resolve();
      floatGraph = folder.onnxFile();
      root = folder.root();
      id = folder.modelId();
    }
    Path target = root.resolve("onnx").resolve(fileName);
    long t0 = System.nanoTime();
    OnnxQuantizer.Form f = switch (form) {
      case "dynamic-quantize-matmul" -> OnnxQuantizer.Form.DYNAMIC_QUANTIZE_MATMUL;
      case "matmul-integer" -> OnnxQuantizer.Form.MATMUL_INTEGER;
      default -> throw new QuarryException("--form: '" + form + "' is not dynamic-quantize-matmul or matmul-integer.");
    };
    OnnxQuantizer.Report r = OnnxQuantizer.quantize(floatGraph, target, !perTensor, f,
        keepFloat == null ? null : Pattern.compile(keepFloat), reduceRange);
    System.out.printf(Locale.ROOT, "Wrote %s: %d MatMul weights int8 (%s), %d MatMuls left float (activation x activation, or --keep-float);"
        + " %.1f MB -> %.1f MB in %.1f s%n", target, r.matMulsQuantized(), (perTensor ? "per tensor" : "per channel") + (reduceRange ? ", 7-bit" : ""),
        r.matMulsKept(), r.floatBytesBefore() / 1e6, r.bytesAfter() / 1e6, (System.nanoTime() - t0) / 1e9);
    System.out.printf(Locale.ROOT, crossEncoder ? "Use it with quarry rerank --model %2$s --onnx-file %1$s (or --rerank-onnx-file %1$s)%n"
        : "Use it with --onnx-file %1$s (e.g. quarry eval --model %2$s --onnx-file %1$s)%n", fileName, id);
    return 0;
  }
}
