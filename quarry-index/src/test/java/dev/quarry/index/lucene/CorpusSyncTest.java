package dev.quarry.index.lucene;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.quarry.QuarryException;
import dev.quarry.data.Corpus;
import dev.quarry.data.CorpusGenerator;
import dev.quarry.data.Document;
import dev.quarry.encode.EncodeOptions;
import dev.quarry.encode.RuntimeOptions;
import dev.quarry.encode.SentenceTransformer;
import dev.quarry.index.CorpusIndexer;
import dev.quarry.index.CorpusSync;
import dev.quarry.index.IndexSettings;
import dev.quarry.index.SearchMode;
import dev.quarry.model.BuiltinModels;
import dev.quarry.model.ModelFolder;
import dev.quarry.search.ExactSearch;
import dev.quarry.search.Hit;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Streaming, resumable, incremental indexing of a corpus file with the real default model. */
@Tag("slow") // real models at size, servers, fine-tunes: left out of the fast tier (-Pfast)
class CorpusSyncTest {
  static final Path AI_QA = Path.of("..", "datasets", "ai-qa", "corpus.jsonl");
  static final List<String> QUESTIONS = List.of("What is dropout?", "How does BM25 rank documents?",
      "Why warm up the learning rate?", "What is reciprocal rank fusion?", "Which optimizer decouples weight decay?");
  static SentenceTransformer model;

  @TempDir Path tmp;

  @BeforeAll
  static void load() {
    Path cache = Path.of("target", "quarry-home").toAbsolutePath();
    String id = LuceneIndexTest.MINILM;
    model = SentenceTransformer.load(ModelFolder.read(BuiltinModels.materialize(id, cache), id), RuntimeOptions.defaults());
  }

  @AfterAll
  static void close() {
    model.close();
  }

  /** The model's document encoder, counting the documents it is given. */
  static CorpusSync.Encoder counting(AtomicLong count) {
    return docs -> {
      count.addAndGet(docs.size());
      return model.encodeDocuments(docs.stream().map(e -> e.document().fullText()).toList(), EncodeOptions.defaults());
    };
  }

  static LuceneIndex open(Path dir) {
    return LuceneIndex.open(dir, CorpusIndexer.metadataOf(model), IndexSettings.defaults());
  }

  static final class Killed extends RuntimeException {
    private static final long serialVersionUID = 1L;
  }

  @Test
  void aKilledBuildResumesWithoutEncodingCommittedDocumentsAgain() throws Exception {
    Path corpus = Files.copy(AI_QA, tmp.resolve("corpus.jsonl"));
    int total = Corpus.read(corpus).size();
    CorpusSync.Options small = new CorpusSync.Options(10, 20);
    AtomicLong encoded = new AtomicLong();
    LuceneIndex first = open(tmp.resolve("idx"));
    int[] commits = {0};
    assertThrows(Killed.class, () -> CorpusSync.sync(first, corpus, counting(encoded), small, (p, done, all, committed) -> {
      if (committed && ++commits[0] == 3) {
        throw new Killed(); // after 60 committed documents
      }
    }));
    assertEquals(60, encoded.get());
    first.closeWithoutCommit();

    AtomicLong again = new AtomicLong();
    try (LuceneIndex index = open(tmp.resolve("idx"))) {
      assertEquals(60, index.size(), "what the kill left: the third commit");
      CorpusSync.Report r = CorpusSync.sync(index, corpus, counting(again), small, null);
      System.out.println("resumed: " + r.summary());
      assertTrue(r.resumedAtLine() >= 60, r.summary());
      assertEquals(total - 60, again.get(), "committed documents must not be encoded again");
      assertEquals(total, index.size());
      assertEquals(total, distinctIds(index).size(), "no duplicate ids");
      // Nothing left to do: the corpus is not even read.
      CorpusSync.Report noop = CorpusSync.sync(index, corpus, counting(again), small, null);
      assertTrue(noop.upToDate());
      assertEquals(total - 60, again.get());
    }
  }

  @Test
  void anIncrementalSyncEqualsAFreshBuild() throws Exception {
    Path corpus = Files.copy(AI_QA, tmp.resolve("corpus.jsonl"));
    List<String> lines = new ArrayList<>(Files.readAllLines(corpus));
    AtomicLong encoded = new AtomicLong();
    try (LuceneIndex index = open(tmp.resolve("idx"))) {
      CorpusSync.sync(index, corpus, counting(encoded), CorpusSync.Options.defaults(), null);
      index.upsert(List.of(new Document("api-doc", "Added through the API", "Not in the corpus file.")),
          model.encodeDocuments(List.of("Added through the API Not in the corpus file."), EncodeOptions.defaults()));
      index.commit();

      // Delete three documents, change two, add two.
      List<String> edited = new ArrayList<>(lines.subList(3, lines.size()));
      edited.set(0, edited.get(0).replace("\"text\": \"", "\"text\": \"Rewritten: ").replace("\"text\":\"", "\"text\":\"Rewritten: "));
      edited.set(10, edited.get(10).replace("\"title\": \"", "\"title\": \"New title ").replace("\"title\":\"", "\"title\":\"New title "));
      edited.add("{\"_id\": \"new-1\", \"title\": \"Gradient clipping\", \"text\": \"Clipping rescales gradients whose norm exceeds a threshold.\"}");
      edited.add("{\"_id\": \"new-2\", \"title\": \"Layer normalisation\", \"text\": \"LayerNorm normalises each token's features.\"}");
      Files.write(corpus, edited);
      encoded.set(0);
      CorpusSync.Report r = CorpusSync.sync(index, corpus, counting(encoded), new CorpusSync.Options(16, 32), null);
      System.out.println("incremental: " + r.summary());
      assertEquals(2, r.added());
      assertEquals(2, r.changed());
      assertEquals(3, r.deleted());
      assertEquals(4, encoded.get());
      assertTrue(index.document("api-doc") != null, "documents written through the API survive a corpus sync");
      index.delete(List.of("api-doc"));
      index.commit();
      index.expungeDeletes(); // BM25's statistics count deleted documents until they are merged away

      try (LuceneIndex fresh = open(tmp.resolve("fresh"))) {
        CorpusSync.sync(fresh, corpus, counting(new AtomicLong()), CorpusSync.Options.defaults(), null);
        assertEquals(fresh.size(), index.size());
        for (String q : QUESTIONS) {
          float[] v = model.encodeQueries(List.of(q), EncodeOptions.defaults())[0];
          for (SearchMode mode : List.of(SearchMode.EXACT, SearchMode.BM25, SearchMode.DENSE)) {
            List<Hit> a = index.search(mode, q, v, 10);
            List<Hit> b = fresh.search(mode, q, v, 10);
            assertEquals(b.stream().map(Hit::id).toList(), a.stream().map(Hit::id).toList(), mode + " " + q);
            for (int i = 0; i < a.size(); i++) {
              assertEquals(b.get(i).score(), a.get(i).score(), 1e-5, mode + " " + q);
            }
          }
        }
      }
    }
  }

  @Test
  void anIndexOfAnotherCorpusIsRefusedNamingBoth() throws Exception {
    Path a = Files.copy(AI_QA, tmp.resolve("a.jsonl"));
    Path b = tmp.resolve("b.jsonl");
    Files.write(b, Files.readAllLines(AI_QA).subList(0, 20));
    try (LuceneIndex index = open(tmp.resolve("idx"))) {
      CorpusSync.sync(index, a, counting(new AtomicLong()), CorpusSync.Options.defaults(), null);
      QuarryException e = assertThrows(QuarryException.class,
          () -> CorpusSync.sync(index, b, counting(new AtomicLong()), CorpusSync.Options.defaults(), null));
      assertTrue(e.getMessage().contains(a.toAbsolutePath().toString()) && e.getMessage().contains(b.toAbsolutePath().toString()),
          e.getMessage());
      assertTrue(e.getMessage().contains("--reindex"), e.getMessage());
    }
  }

  /**
   * Exact search scans the stored vectors in place: it finds what a brute-force scan over the same
   * vectors finds, and allocates per query far less than the vectors occupy (the old scan copied them all).
   */
  @Test
  void exactSearchScoresInPlaceAndMatchesBruteForce() throws Exception {
    Path dir = tmp.resolve("generated");
    CorpusGenerator.from(AI_QA).write(dir, 5000, 50, 7);
    int dim = model.dimension();
    float[][] vectors = new float[5000][];
    Random random = new Random(3);
    for (int i = 0; i < vectors.length; i++) {
      vectors[i] = unit(random, dim);
    }
    CorpusSync.Encoder fixed = docs -> docs.stream().map(e -> vectors[Integer.parseInt(e.document().id().substring(1))]).toArray(float[][]::new);
    try (LuceneIndex index = open(tmp.resolve("idx"))) {
      CorpusSync.sync(index, dir.resolve("corpus.jsonl"), fixed, new CorpusSync.Options(512, 2048), null);
      assertEquals(5000, index.size());
      ExactSearch brute = new ExactSearch(ExactSearch.flatten(vectors), dim, model.similarityFunction(), i -> "p" + i);
      com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
      long allocated = 0;
      for (int q = 0; q < 200; q++) {
        float[] query = unit(random, dim);
        long before = threads.getCurrentThreadAllocatedBytes();
        List<Hit> hits = index.exact(query, 10);
        allocated += threads.getCurrentThreadAllocatedBytes() - before;
        assertEquals(brute.searchOne(query, 10).stream().map(Hit::id).toList(), hits.stream().map(Hit::id).toList());
      }
      long perQuery = allocated / 200;
      long vectorBytes = 5000L * dim * 4;
      System.out.printf("exact search: %d bytes allocated per query; the vectors hold %d bytes%n", perQuery, vectorBytes);
      assertTrue(perQuery < vectorBytes / 10, perQuery + " bytes per query");
    }
  }

  /** Vectors computed elsewhere, read from a .npy file row by corpus position, index like encoded ones. */
  @Test
  void precomputedNpyVectorsIndexLikeEncodedOnes() throws Exception {
    Path corpus = Files.copy(AI_QA, tmp.resolve("corpus.jsonl"));
    List<Document> docs = Corpus.read(corpus).documents();
    float[][] vectors = model.encodeDocuments(docs.stream().map(Document::fullText).toList(), EncodeOptions.defaults());
    Path npy = tmp.resolve("docs.npy");
    int dim = vectors[0].length;
    String header = "{'descr': '<f4', 'fortran_order': False, 'shape': (" + vectors.length + ", " + dim + "), }";
    header = header + " ".repeat((64 - (11 + header.length()) % 64) % 64) + "\n";
    java.nio.ByteBuffer buf = java.nio.ByteBuffer.allocate(10 + header.length() + 4 * vectors.length * dim)
        .order(java.nio.ByteOrder.LITTLE_ENDIAN);
    buf.put(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0}).putShort((short) header.length())
        .put(header.getBytes(java.nio.charset.StandardCharsets.US_ASCII));
    for (float[] v : vectors) {
      buf.asFloatBuffer().put(v);
      buf.position(buf.position() + 4 * dim);
    }
    Files.write(npy, buf.array());
    AtomicLong encoded = new AtomicLong();
    try (LuceneIndex fromNpy = open(tmp.resolve("npy")); LuceneIndex encodedIndex = open(tmp.resolve("enc"))) {
      CorpusSync.sync(fromNpy, corpus, CorpusIndexer.precomputed(dev.quarry.search.RowMatrix.mapNpy(npy), npy, dim),
          new CorpusSync.Options(50, 100), null);
      CorpusSync.sync(encodedIndex, corpus, counting(encoded), CorpusSync.Options.defaults(), null);
      for (String q : QUESTIONS) {
        float[] v = model.encodeQueries(List.of(q), EncodeOptions.defaults())[0];
        assertEquals(encodedIndex.exact(v, 5), fromNpy.exact(v, 5));
      }
    }
    // Fewer rows than documents: named, with the first document that has no row.
    Path shortNpy = tmp.resolve("short.npy");
    byte[] all = Files.readAllBytes(npy);
    String shortHeader = new String(all, 10, all.length > 10 ? Short.toUnsignedInt((short) ((all[8] & 0xff) | (all[9] & 0xff) << 8)) : 0,
        java.nio.charset.StandardCharsets.US_ASCII).replace("(" + vectors.length + ",", "(" + (vectors.length - 10) + ",");
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
    out.write(all, 0, 10);
    out.write(shortHeader.getBytes(java.nio.charset.StandardCharsets.US_ASCII));
    out.write(all, 10 + shortHeader.length(), 4 * (vectors.length - 10) * dim);
    Files.write(shortNpy, out.toByteArray());
    try (LuceneIndex index = open(tmp.resolve("short"))) {
      QuarryException e = assertThrows(QuarryException.class, () -> CorpusSync.sync(index, corpus,
          CorpusIndexer.precomputed(dev.quarry.search.RowMatrix.mapNpy(shortNpy), shortNpy, dim), CorpusSync.Options.defaults(), null));
      assertTrue(e.getMessage().contains("short.npy has " + (vectors.length - 10) + " rows"), e.getMessage());
    }
  }

  static float[] unit(Random r, int dim) {
    float[] v = new float[dim];
    double n = 0;
    for (int i = 0; i < dim; i++) {
      v[i] = (float) r.nextGaussian();
      n += v[i] * v[i];
    }
    for (int i = 0; i < dim; i++) {
      v[i] /= (float) Math.sqrt(n);
    }
    return v;
  }

  static HashSet<String> distinctIds(LuceneIndex index) {
    HashSet<String> ids = new HashSet<>();
    float[] any = new float[model.dimension()];
    any[0] = 1;
    index.exact(any, (int) index.size()).forEach(h -> ids.add(h.id()));
    return ids;
  }
}
