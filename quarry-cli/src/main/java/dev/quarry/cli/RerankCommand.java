package dev.quarry.cli;

import dev.quarry.encode.RuntimeOptions;
import dev.quarry.model.CrossEncoderFolder;
import dev.quarry.model.ModelResolver;
import dev.quarry.rerank.CrossEncoder;
import dev.quarry.rerank.RankedDocument;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code quarry rerank -m MODEL QUERY FILE}: a cross-encoder's ranking of the passages in FILE
 * (plain text, one per line, or JSONL) for QUERY, as sentence-transformers' {@code CrossEncoder.rank}.
 */
@Command(name = "rerank", mixinStandardHelpOptions = true,
    description = "Rank passages (plain text, one per line, or JSONL) for a query with a cross-encoder.")
final class RerankCommand implements Callable<Integer> {
  @Option(names = {"-m", "--model"}, required = true, paramLabel = "MODEL",
      description = "A cross-encoder: a folder (classic transformers or sentence-transformers >= 5.4 layout) or a hub id.")
  String model;

  @Option(names = "--revision", description = "Hub revision (branch, tag or commit) to pin.")
  String revision;

  @Parameters(index = "0", paramLabel = "QUERY") String query;

  @Parameters(index = "1", paramLabel = "FILE", description = "Passages; - for stdin.") String input;

  @Option(names = "--jsonl", description = "Read JSONL even if the file name does not end in .jsonl.") boolean jsonl;

  @Option(names = "--text-field", description = "JSONL field holding the text (default: ${DEFAULT-VALUE}).") String textField = "text";

  @Option(names = {"-k", "--top-k"}, description = "Passages to print (default: all).") int topK;

  @Option(names = "--scores", description = "Print one score per passage in input order instead of the ranking.") boolean scoresOnly;

  @Option(names = "--threads", description = "CPU threads for inference (default: all cores).") Integer threads;

  @Option(names = "--onnx-file", paramLabel = "NAME",
      description = "Run another ONNX file of the cross-encoder, e.g. model_qint8_avx512_vnni.onnx (see `quarry quantize`).")
  String onnxFile;

  @Override
  public Integer call() {
    Path in = input.equals("-") ? null : Path.of(input);
    TextInput texts = TextInput.read(in, jsonl || (in != null && in.toString().endsWith(".jsonl")), textField);
    RuntimeOptions runtime = threads == null ? RuntimeOptions.defaults() : RuntimeOptions.defaults().withThreads(threads);
    CrossEncoderFolder folder = ModelResolver.defaults().resolveCrossEncoder(model, revision);
    try (CrossEncoder ce = CrossEncoder.load(onnxFile == null ? folder : folder.withOnnxFile(onnxFile), runtime)) {
      List<RankedDocument> ranked = ce.rank(query, texts.texts(), scoresOnly ? 0 : topK, true);
      if (scoresOnly) {
        float[] byInput = new float[ranked.size()];
        ranked.forEach(r -> byInput[r.corpusId()] = r.score());
        for (float s : byInput) {
          System.out.println(Float.toString(s));
        }
        return 0;
      }
      for (int i = 0; i < ranked.size(); i++) {
        RankedDocument r = ranked.get(i);
        String text = r.text().length() > 100 ? r.text().substring(0, 100) + "..." : r.text();
        System.out.printf(Locale.ROOT, "%3d. [%.4f] %s  %s%n", i + 1, r.score(), texts.ids().get(r.corpusId()), text);
      }
    }
    return 0;
  }
}
