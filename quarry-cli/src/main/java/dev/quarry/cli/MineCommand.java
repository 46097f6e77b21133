package dev.quarry.cli;

import dev.quarry.data.BeirDataset;
import dev.quarry.encode.EncodeOptions;
import dev.quarry.encode.SentenceTransformer;
import dev.quarry.index.PassageIndex;
import dev.quarry.index.SearchMode;
import dev.quarry.mine.HardNegativeMiner;
import dev.quarry.mine.MinedFile;
import dev.quarry.mine.MiningOptions;
import dev.quarry.rerank.CrossEncoder;
import dev.quarry.search.Reranker;
import dev.quarry.search.Searcher;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code quarry mine}: hard negatives for a BEIR split's (query, positive) pairs, as JSONL for {@code quarry train --train-file}. */
@Command(name = "mine", mixinStandardHelpOptions = true,
    description = {"Mine hard negatives for the (query, positive) pairs of a BEIR split (sentence-transformers' mine_hard_negatives).",
        "Candidates come from the model's exact search or the corpus index's BM25 / hybrid retrieval; judged positives are never"
            + " negatives; margins are measured with the model's similarity, or with --rerank's cross-encoder."})
final class MineCommand implements Callable<Integer> {
  @Mixin ModelOptions model;
  @Mixin DatasetOptions data = trainSplit();
  @Mixin IndexOptions index;

  @Option(names = {"-o", "--output"}, paramLabel = "FILE", required = true, description = "The JSONL file to write (replaced atomically).")
  Path output;

  @Option(names = "--source", description = "Where candidates come from: model (exact search with the model), bm25 or hybrid"
      + " (the corpus index; built on first use). Default: ${DEFAULT-VALUE}.")
  String source = "model";

  @Option(names = "--range-min", description = "Skip the N best surviving candidates (default: ${DEFAULT-VALUE}).") int rangeMin;
  @Option(names = "--range-max", description = "Consider candidates up to this rank (default: range-min + num-negatives + positives,"
      + " or 10 x num-negatives with a margin or --max-score).") Integer rangeMax;
  @Option(names = "--absolute-margin", description = "A negative must score at least this much below the query's hardest positive.") Double absoluteMargin;
  @Option(names = "--relative-margin", description = "A negative may score at most the hardest positive's score less M x its magnitude, e.g. 0.05.") Double relativeMargin;
  @Option(names = "--max-score", description = "Drop candidates scoring above this.") Double maxScore;
  @Option(names = "--min-score", description = "Drop candidates scoring below this.") Double minScore;
  @Option(names = "--num-negatives", description = "Negatives per (query, positive) (default: ${DEFAULT-VALUE}).") int numNegatives = 3;
  @Option(names = "--sampling", description = "top (the hardest survivors) or random (default: ${DEFAULT-VALUE}).") String sampling = "top";
  @Option(names = "--format", description = "triplet (one row per negative) or n-tuple (one row with all of them) (default: ${DEFAULT-VALUE}).")
  String format = "triplet";
  @Option(names = "--rerank", paramLabel = "MODEL", description = {"A cross-encoder (folder or hub id) that scores every candidate"
      + " and positive: the margins and score bounds are then its scores, candidates are ranked by them, and the rows carry them"
      + " (sentence-transformers' cross_encoder=)."})
  String rerank;
  @Option(names = "--rerank-onnx-file", paramLabel = "NAME", description = "Run another ONNX file of the cross-encoder (see `quarry quantize`).")
  String rerankOnnxFile;
  @Option(names = "--seed", description = "For --sampling random (default: ${DEFAULT-VALUE}).") long seed = 42;
  @Option(names = "--batch-size", description = "Texts per inference (default: ${DEFAULT-VALUE}).") int batchSize = EncodeOptions.DEFAULT_BATCH_SIZE;

  private static DatasetOptions trainSplit() {
    DatasetOptions d = new DatasetOptions();
    d.split = "train";
    return d;
  }

  @Override
  public Integer call() {
    long start = System.nanoTime();
    MiningOptions options = new MiningOptions(rangeMin, rangeMax, absoluteMargin, relativeMargin, maxScore, minScore, numNegatives,
        MiningOptions.Sampling.fromId(sampling), MiningOptions.Format.fromId(format), seed);
    SearchMode mode = source.equals("model") ? SearchMode.EXACT : SearchMode.fromId(source);
    BeirDataset ds = data.load();
    RerankOptions stage = new RerankOptions();
    stage.model = rerank;
    stage.onnxFile = rerankOnnxFile;
    Reranker reranker = stage.open(); // its depth is unused: the miner scores all of a query's candidates
    try (SentenceTransformer m = model.load(); CrossEncoder ce = reranker == null ? null : reranker.crossEncoder()) {
      EncodeOptions base = EncodeOptions.defaults().withBatchSize(batchSize);
      // The corpus embeddings (shared with quarry eval through the cache) score every candidate.
      HardNegativeMiner.Setup setup = HardNegativeMiner.prepare(m, ds,
          CorpusEncoding.withProgress(base, ds.corpus().size(), "documents"), CorpusEncoding.cache());
      HardNegativeMiner.Result result;
      if (mode == SearchMode.EXACT) {
        result = setup.miner().mine(setup.queries(), setup.exact().withReranker(reranker), options);
      } else {
        try (PassageIndex idx = IndexAccess.open(m, ds.dir(), index == null ? new IndexOptions() : index)) {
          result = setup.miner().mine(setup.queries(), Searcher.of(m, idx.retriever(mode)).withReranker(reranker), options);
        }
      }
      MinedFile.write(output, result.rows(), options.format());
      System.out.print(result.report().table());
      System.out.printf(Locale.ROOT, "%nWrote %s: train with  quarry train --train-file %s -m %s -d %s%n", output, output, m.folder().modelId(), ds.dir());
    }
    System.err.printf(Locale.ROOT, "quarry: mined in %.1f s%n", (System.nanoTime() - start) / 1e9);
    return 0;
  }
}
