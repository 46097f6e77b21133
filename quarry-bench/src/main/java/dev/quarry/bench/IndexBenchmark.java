package dev.quarry.bench;

import dev.quarry.data.CorpusGenerator;
import dev.quarry.data.CorpusStream;
import dev.quarry.encode.EncodeOptions;
import dev.quarry.encode.RuntimeOptions;
import dev.quarry.encode.SentenceTransformer;
import dev.quarry.index.CorpusIndexer;
import dev.quarry.index.CorpusSync;
import dev.quarry.index.IndexMetadata;
import dev.quarry.index.IndexSettings;
import dev.quarry.index.lucene.LuceneIndex;
import dev.quarry.io.Npy;
import dev.quarry.model.BuiltinModels;
import dev.quarry.model.ModelFolder;
import dev.quarry.model.ModelResolver;
import dev.quarry.similarity.SimilarityFunction;
import java.io.BufferedOutputStream;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;

/**
 * One-machine indexing at size. Modes:
 *
 * <ul>
 *   <li>{@code generate SOURCE_CORPUS N DIR}: a deterministic BEIR corpus of N passages;
 *   <li>{@code model DIR}: all-MiniLM-L6-v2 encoding the corpus chunk by chunk as plain {@code
 *       encode} would, then the same texts indexed end to end ({@link CorpusSync}), in one run: the
 *       indexing overhead over encoding, docs/s, peak RSS and heap;
 *   <li>{@code vectors N DIR}: N passages of generated text with precomputed (random unit) 384-d
 *       vectors, indexed (run it with {@code -Xmx1g}): time, peak RSS and heap; then the index is
 *       closed, reopened and searched, timing the first answer;
 *   <li>{@code npy N DIM FILE}: N random unit vectors as a float32 {@code .npy} matrix, for {@code
 *       quarry index --vectors} at sizes where encoding would take days on this machine.
 * </ul>
 */
public final class IndexBenchmark {
  private IndexBenchmark() {}

  public static void main(String[] args) throws Exception {
    switch (args.length == 0 ? "" : args[0]) {
      case "generate" -> {
        long t0 = System.nanoTime();
        CorpusGenerator.from(Path.of(args[1])).write(Path.of(args[3]), Integer.parseInt(args[2]), 100, 42);
        System.out.printf(Locale.ROOT, "generated %s passages in %s (%.1f s)%n", args[2], args[3], (System.nanoTime() - t0) / 1e9);
      }
      case "model" -> model(Path.of(args[1]));
      case "vectors" -> vectors(Integer.parseInt(args[1]), Path.of(args[2]));
      case "npy" -> npy(Integer.parseInt(args[1]), Integer.parseInt(args[2]), Path.of(args[3]));
      default -> System.err.println("usage: IndexBenchmark generate SOURCE N DIR | model DIR | vectors N DIR | npy N DIM FILE");
    }
  }

  private static void model(Path dataset) throws Exception {
    String id = BuiltinModels.defaultId();
    Path home = ModelResolver.defaults().cacheDir();
    Path corpus = dataset.resolve("corpus.jsonl");
    CorpusSync.Options options = CorpusSync.Options.defaults();
    try (SentenceTransformer model = SentenceTransformer.load(ModelFolder.read(BuiltinModels.materialize(id, home), id),
        RuntimeOptions.defaults())) {
      model.encodeDocuments(List.of("warm-up passage for the JIT and ONNX Runtime"), EncodeOptions.defaults());
      // Plain encoding of the same texts in the same chunks: what `quarry encode` costs.
      long t0 = System.nanoTime();
      long docs = 0;
      try (CorpusStream in = CorpusStream.open(corpus)) {
        List<String> chunk = new ArrayList<>();
        for (CorpusStream.Entry e; (e = in.next()) != null; ) {
          chunk.add(e.document().fullText());
          if (chunk.size() == options.chunkSize()) {
            docs += model.encodeDocuments(chunk, EncodeOptions.defaults()).length;
            chunk.clear();
          }
        }
        if (!chunk.isEmpty()) {
          docs += model.encodeDocuments(chunk, EncodeOptions.defaults()).length;
        }
      }
      double encodeSecs = (System.nanoTime() - t0) / 1e9;
      Path indexDir = Files.createTempDirectory("quarry-index-bench");
      long t1 = System.nanoTime();
      CorpusSync.Report r;
      try (LuceneIndex index = LuceneIndex.open(indexDir, CorpusIndexer.metadataOf(model), IndexSettings.defaults())) {
        r = CorpusSync.sync(index, corpus, CorpusIndexer.encoder(model, EncodeOptions.defaults()), options, null);
      }
      double indexSecs = (System.nanoTime() - t1) / 1e9;
      System.out.printf(Locale.ROOT, "%d passages, all-MiniLM-L6-v2 (max 256 tokens), %d cores, Java %s%n", docs,
          Runtime.getRuntime().availableProcessors(), System.getProperty("java.version"));
      System.out.printf(Locale.ROOT, "%-34s %10s %10s%n", "", "seconds", "docs/s");
      System.out.printf(Locale.ROOT, "%-34s %10.1f %10.1f%n", "encode only (same chunks)", encodeSecs, docs / encodeSecs);
      System.out.printf(Locale.ROOT, "%-34s %10.1f %10.1f%n", "index end to end (CorpusSync)", indexSecs, docs / indexSecs);
      System.out.printf(Locale.ROOT, "indexing overhead over encoding: %+.1f%%; %s%n", 100 * (indexSecs / encodeSecs - 1), r.summary());
      printMemory();
    }
  }

  private static void vectors(int n, Path dir) throws Exception {
    Path corpus = dir.resolve("corpus.jsonl");
    int dim = 384;
    IndexMetadata meta = new IndexMetadata("synthetic-" + dim, "synthetic", dim, SimilarityFunction.COSINE, true);
    Path indexDir = dir.resolve("index");
    long t0 = System.nanoTime();
    CorpusSync.Report r;
    // Precomputed vectors: a deterministic unit vector per id, as if read from an embedding file.
    CorpusSync.Encoder precomputed = docs -> docs.stream().map(e -> unit(e.document().id().hashCode(), dim)).toArray(float[][]::new);
    try (LuceneIndex index = LuceneIndex.open(indexDir, meta, IndexSettings.defaults())) {
      r = CorpusSync.sync(index, corpus, precomputed, new CorpusSync.Options(1024, 65_536), (p, done, total, committed) -> {
        if (committed) {
          System.err.printf(Locale.ROOT, "  %5.1f%%  %d documents%n", 100.0 * done / total, p.added());
        }
      });
    }
    double secs = (System.nanoTime() - t0) / 1e9;
    System.out.printf(Locale.ROOT, "%d passages with precomputed 384-d vectors indexed in %.1f s (%.0f docs/s), max heap %d MB; %s%n",
        n, secs, n / secs, Runtime.getRuntime().maxMemory() >> 20, r.summary());
    printMemory();
    long t1 = System.nanoTime();
    try (LuceneIndex index = LuceneIndex.open(indexDir, meta, IndexSettings.defaults())) {
      boolean upToDate = CorpusSync.isUpToDate(index, corpus);
      double openSecs = (System.nanoTime() - t1) / 1e9;
      var hits = index.dense(unit(7, dim), 10);
      System.out.printf(Locale.ROOT, "reopened in %.2f s (up to date: %s, corpus not read); first dense answer after %.2f s (%d hits)%n",
          openSecs, upToDate, (System.nanoTime() - t1) / 1e9, hits.size());
    }
  }

  private static void npy(int n, int dim, Path file) throws Exception {
    long t0 = System.nanoTime();
    try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(file), 1 << 20)) {
      Npy.writeHeader(out, "<f4", n, dim);
      for (int i = 0; i < n; i++) {
        Npy.writeRow(out, unit(i, dim));
      }
    }
    System.out.printf(Locale.ROOT, "wrote %d random unit %d-d vectors to %s (%.1f s)%n", n, dim, file, (System.nanoTime() - t0) / 1e9);
  }

  static float[] unit(long seed, int dim) {
    Random r = new Random(seed);
    float[] v = new float[dim];
    double norm = 0;
    for (int i = 0; i < dim; i++) {
      v[i] = (float) r.nextGaussian();
      norm += v[i] * v[i];
    }
    for (int i = 0; i < dim; i++) {
      v[i] /= (float) Math.sqrt(norm);
    }
    return v;
  }

  /** Peak resident set (VmHWM) and the heap's peak use, summed over the heap pools. */
  static void printMemory() throws Exception {
    String hwm = Files.readAllLines(Path.of("/proc/self/status")).stream().filter(l -> l.startsWith("VmHWM"))
        .findFirst().orElse("VmHWM: ? kB").replaceAll("\\s+", " ");
    long heapPeak = 0;
    for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
      if (pool.getType() == MemoryType.HEAP) {
        heapPeak += pool.getPeakUsage().getUsed();
      }
    }
    System.out.printf(Locale.ROOT, "peak RSS %s; heap peak (sum of pools) %d MB%n", hwm.substring(hwm.indexOf(':') + 2), heapPeak >> 20);
  }
}
