package dev.quarry.cli;

import dev.quarry.QuarryException;
import dev.quarry.data.BeirDataset;
import dev.quarry.data.Qrels;
import dev.quarry.data.Queries;
import dev.quarry.encode.EncodeOptions;
import dev.quarry.encode.SentenceTransformer;
import dev.quarry.eval.InformationRetrievalEvaluator;
import dev.quarry.eval.IrMetrics;
import dev.quarry.eval.IrReport;
import dev.quarry.eval.IrResult;
import dev.quarry.index.IndexRetriever;
import dev.quarry.index.PassageIndex;
import dev.quarry.index.SearchMode;
import dev.quarry.search.EmbeddingCache;
import dev.quarry.search.Reranker;
import dev.quarry.search.Searcher;
import dev.quarry.similarity.SimilarityFunction;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code quarry eval}: the InformationRetrievalEvaluator metrics of a model on a BEIR dataset. */
@Command(name = "eval", mixinStandardHelpOptions = true,
    description = "Evaluate a model on a BEIR dataset with sentence-transformers' IR metrics.")
final class EvalCommand implements Callable<Integer> {
  @Mixin ModelOptions model;
  @Mixin DatasetOptions data;
  @Mixin IndexOptions index;
  @Mixin RerankOptions rerank;
  @Mixin DocumentOptions docs;

  @Option(names = "--docs", paramLabel = "PATH",
      description = "Evaluate over these files and folders (indexed and synced first) instead of -d; needs --queries and --qrels,"
          + " whose document ids are the files' paths under their folder.")
  List<Path> paths = new ArrayList<>();

  @Option(names = "--queries", paramLabel = "FILE", description = "With --docs: the queries, BEIR queries.jsonl.")
  Path queriesFile;

  @Option(names = "--qrels", paramLabel = "FILE", description = "With --docs: the judgements, BEIR qrels TSV (query-id, corpus-id, score).")
  Path qrelsFile;

  @Option(names = "--max-length", paramLabel = "N", description = "Word-pieces kept per passage, cut beyond (default: the model's max_seq_length).")
  int maxLength;

  @Option(names = "--mode", description = "Retrieval: exact (default), dense (HNSW), bm25 or hybrid (RRF of both).")
  String mode = "exact";

  @Option(names = "--score-functions", split = ",", description = "Similarities to rank by (default: cosine,dot).")
  List<String> scoreFunctions = List.of("cosine", "dot");

  @Option(names = "--precision-recall-at", split = ",", description = "k values for Precision/Recall (default: 1,3,5,10,100).")
  List<Integer> precisionRecallAt = List.of(1, 3, 5, 10, 100);

  @Option(names = "--query-prompt", description = "Literal query prompt (default: the model's 'query' prompt, if any).")
  String queryPrompt;

  @Option(names = "--corpus-prompt", description = "Literal document prompt (default: the model's 'document'/'passage' prompt, if any).")
  String corpusPrompt;

  @Option(names = "--no-prompts", description = "Encode queries and documents without any prompt.")
  boolean noPrompts;

  @Option(names = "--batch-size", description = "Texts per inference (default: ${DEFAULT-VALUE}).")
  int batchSize = EncodeOptions.DEFAULT_BATCH_SIZE;

  @Option(names = "--truncate-dim", description = "Keep the first N dimensions of every embedding (Matryoshka); exact mode only.")
  int truncateDim;

  @Option(names = "--no-cache", description = "Re-encode the corpus even if cached embeddings exist.")
  boolean noCache;

  @Option(names = {"-o", "--output-dir"}, description = "Write the CSV, JSON and TREC run files here.")
  Path outputDir;

  @Override
  public Integer call() throws Exception {
    if (!paths.isEmpty()) {
      return evaluateFolders();
    }
    long start = System.nanoTime();
    BeirDataset ds = data.load();
    try (SentenceTransformer m = model.load()) {
      IrResult r = run(m, ds);
      String qp = noPrompts ? "none" : queryPrompt != null ? '"' + queryPrompt + '"'
          : m.queryPromptName() != null ? '"' + m.folder().prompts().get(m.queryPromptName()) + '"' : "none";
      System.out.printf(Locale.ROOT, "Information retrieval: %s on %s (%s split): %d queries, %d documents; query prompt: %s%n%n",
          m.folder().modelId(), ds.dir().getFileName(), ds.split(), r.queryCount(), ds.corpus().size(), qp);
      System.out.print(IrReport.table(r));
      if (outputDir != null) {
        Files.createDirectories(outputDir);
        IrReport.writeCsv(r, outputDir.resolve("Information-Retrieval_evaluation_" + r.name() + "_results.csv"), -1, -1);
        Files.writeString(outputDir.resolve("metrics.json"), IrReport.json(r));
        r.runs().forEach((fn, run) -> IrReport.writeRun(run, "quarry-" + fn, outputDir.resolve("run." + fn + ".trec")));
        System.out.println("\nWrote CSV, metrics.json and TREC run files to " + outputDir);
      }
      System.err.printf(Locale.ROOT, "quarry: evaluated in %.1f s%n", (System.nanoTime() - start) / 1e9);
    }
    return 0;
  }

  /** Retrieval over folders of files, scored against qrels that name the files (by their path under the folder). */
  private int evaluateFolders() {
    if (queriesFile == null || qrelsFile == null) {
      throw new QuarryException("--docs needs --queries FILE (queries.jsonl) and --qrels FILE (TSV) naming the files' paths.");
    }
    Queries queries = Queries.read(queriesFile);
    Qrels qrels = Qrels.read(qrelsFile);
    try (SentenceTransformer m = model.load(); PassageIndex idx = IndexAccess.openFolders(m, paths, index, docs).index()) {
      java.util.Set<String> known = idx.sources().keySet();
      List<String> unknown = qrels.judgements().values().stream().flatMap(d -> d.keySet().stream()).filter(id -> !known.contains(id))
          .distinct().sorted().toList();
      if (!unknown.isEmpty()) {
        throw new QuarryException(qrelsFile + " names " + unknown.size() + " documents the folders do not hold (ids are paths under the"
            + " folder): " + unknown.subList(0, Math.min(5, unknown.size())));
      }
      InformationRetrievalEvaluator evaluator = new InformationRetrievalEvaluator(queries.byId(), qrels, IrMetrics.defaults(),
          paths.get(0).toAbsolutePath().normalize().getFileName().toString());
      Reranker reranker = rerank.open(); // re-scores each document's best chunk
      try {
        IrResult r = evaluator.evaluate(Searcher.of(m, EncodeOptions.defaults(), idx.retriever(SearchMode.fromId(mode), docs.byDocument()))
            .withReranker(reranker));
        System.out.print(IrReport.table(r));
      } finally {
        if (reranker != null) {
          reranker.crossEncoder().close();
        }
      }
    }
    return 0;
  }

  private IrResult run(SentenceTransformer m, BeirDataset ds) {
    IrResult first = firstStage(m, ds);
    Reranker reranker = rerank.open();
    if (reranker == null) {
      return first;
    }
    try {
      return withReranking(first, reranker, ds);
    } finally {
      reranker.crossEncoder().close();
    }
  }

  /**
   * The first stage's runs beside each run reranked ({@code <run>+rerank}), scored by the same
   * evaluator, as CrossEncoderRerankingEvaluator reports the base and the reranked metrics.
   */
  private IrResult withReranking(IrResult first, Reranker reranker, BeirDataset ds) {
    long start = System.nanoTime();
    IrResult r = evaluator(ds, first.name()).withReranking(first, reranker, id -> {
      int i = ds.corpus().indexOf(id);
      return i < 0 ? null : ds.corpus().get(i).fullText();
    });
    long pairs = first.runs().values().stream().flatMap(run -> run.values().stream()).mapToLong(h -> Math.min(h.size(), reranker.depth())).sum();
    double secs = (System.nanoTime() - start) / 1e9;
    System.err.printf(Locale.ROOT, "quarry: reranked %d pairs (depth %d) with %s in %.1f s (%.1f ms per query and run)%n", pairs,
        reranker.depth(), reranker.crossEncoder().folder().modelId(), secs, 1000 * secs / Math.max(1, first.queryCount() * first.runs().size()));
    return r;
  }

  private InformationRetrievalEvaluator evaluator(BeirDataset ds, String name) {
    IrMetrics defaults = IrMetrics.defaults();
    IrMetrics metrics = new IrMetrics(defaults.accuracyAtK(), precisionRecallAt, defaults.mrrAtK(), defaults.ndcgAtK(), defaults.mapAtK());
    return new InformationRetrievalEvaluator(ds.queries().byId(), ds.qrels(), metrics, name);
  }

  private IrResult firstStage(SentenceTransformer m, BeirDataset ds) {
    EncodeOptions base = EncodeOptions.defaults().withBatchSize(batchSize).withTruncateDim(truncateDim);
    EncodeOptions q = noPrompts ? base.withPrompt("") : queryPrompt != null ? base.withPrompt(queryPrompt) : base;
    EncodeOptions c = (noPrompts ? base.withPrompt("") : corpusPrompt != null ? base.withPrompt(corpusPrompt) : base).withMaxLength(maxLength);
    c = CorpusEncoding.withProgress(c, ds.corpus().size(), "documents");
    List<SimilarityFunction> fns = new ArrayList<>();
    scoreFunctions.forEach(f -> fns.add(SimilarityFunction.fromId(f)));
    InformationRetrievalEvaluator evaluator = evaluator(ds, ds.dir().getFileName() + "-" + ds.split());
    SearchMode searchMode = SearchMode.fromId(mode);
    if (searchMode == SearchMode.EXACT && index != null && index.solr.given()) {
      throw new QuarryException(IndexRetriever.exactRefusal(index.solrTarget(ds.dir(), m.folder().modelId()).toString()));
    }
    if (searchMode != SearchMode.EXACT || docs.chunkTokens != null) {
      if (maxLength > 0) {
        throw new QuarryException("--max-length works with --mode exact on an unchunked corpus; an index encodes passages at the"
            + " model's max_seq_length (or in chunks, with --chunk-tokens).");
      }
      if (truncateDim > 0) {
        throw new QuarryException("--truncate-dim works with --mode exact: an index stores the vectors at the model's full dimension.");
      }
      return evaluateOnIndex(m, ds, evaluator, q, searchMode);
    }
    EmbeddingCache cache = noCache ? null : CorpusEncoding.cache();
    return evaluator.evaluate(m, ds.corpus(), new InformationRetrievalEvaluator.Settings(q, c, fns, cache));
  }

  /** Retrieval through the corpus's index (dense HNSW, BM25 or hybrid), scored by the same evaluator. */
  private IrResult evaluateOnIndex(SentenceTransformer m, BeirDataset ds, InformationRetrievalEvaluator evaluator,
      EncodeOptions queryOptions, SearchMode searchMode) {
    try (PassageIndex idx = IndexAccess.open(m, ds.dir(), index == null ? new IndexOptions() : index, docs)) {
      return evaluator.evaluate(Searcher.of(m, queryOptions, idx.retriever(searchMode, docs.byDocument())));
    }
  }
}
