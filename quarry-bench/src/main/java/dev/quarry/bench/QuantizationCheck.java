package dev.quarry.bench;

import dev.quarry.encode.EncodeOptions;
import dev.quarry.encode.RuntimeOptions;
import dev.quarry.encode.SentenceTransformer;
import dev.quarry.model.ModelFolder;
import dev.quarry.model.ModelResolver;
import dev.quarry.similarity.SimilarityFunction;
import dev.quarry.train.export.OnnxQuantizer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * How far int8 embeddings are from fp32 ones: min and mean cosine over SciFact passages and
 * queries, for each model given (quantised first if its folder has no int8 file yet).
 *
 * <p>Usage: {@code QuantizationCheck SCIFACT_DIR PASSAGES MODEL...}.
 */
public final class QuantizationCheck {
  private QuantizationCheck() {}

  public static void main(String[] args) throws Exception {
    SciFactTexts texts = SciFactTexts.load(Path.of(args[0]), Integer.parseInt(args[1]));
    System.out.printf(Locale.ROOT, "%-40s %-9s %6s %10s %10s%n", "model", "texts", "n", "min cos", "mean cos");
    for (int i = 2; i < args.length; i++) {
      ModelFolder fp32 = ModelResolver.defaults().resolve(args[i]);
      Path qint8 = fp32.root().resolve("onnx").resolve(OnnxQuantizer.DEFAULT_FILE_NAME);
      if (!Files.isRegularFile(qint8)) {
        OnnxQuantizer.quantize(fp32.onnxFile(), qint8, true);
      }
      try (SentenceTransformer a = SentenceTransformer.load(fp32, RuntimeOptions.defaults());
          SentenceTransformer b = SentenceTransformer.load(fp32.withOnnxFile(OnnxQuantizer.DEFAULT_FILE_NAME), RuntimeOptions.defaults())) {
        report(args[i], "passages", a.encodeDocuments(texts.passages(), EncodeOptions.defaults()),
            b.encodeDocuments(texts.passages(), EncodeOptions.defaults()));
        report(args[i], "queries", a.encodeQueries(texts.queries(), EncodeOptions.defaults()),
            b.encodeQueries(texts.queries(), EncodeOptions.defaults()));
      }
    }
  }

  private static void report(String model, String kind, float[][] x, float[][] y) {
    double min = 1;
    double sum = 0;
    for (int i = 0; i < x.length; i++) {
      double c = SimilarityFunction.COSINE.score(x[i], y[i]);
      min = Math.min(min, c);
      sum += c;
    }
    System.out.printf(Locale.ROOT, "%-40s %-9s %6d %10.4f %10.4f%n", model, kind, x.length, min, sum / x.length);
  }
}
