package dev.quarry.index.lucene;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.quarry.QuarryException;
import dev.quarry.data.Corpus;
import dev.quarry.data.Document;
import dev.quarry.encode.EncodeOptions;
import dev.quarry.encode.RuntimeOptions;
import dev.quarry.encode.SentenceTransformer;
import dev.quarry.index.CorpusIndexer;
import dev.quarry.index.IndexMetadata;
import dev.quarry.index.IndexSettings;
import dev.quarry.index.SearchMode;
import dev.quarry.model.BuiltinModels;
import dev.quarry.model.ModelFingerprint;
import dev.quarry.model.ModelFolder;
import dev.quarry.search.Hit;
import dev.quarry.similarity.SimilarityFunction;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The Lucene index over the bundled AI QA corpus with the real default model. */
@Tag("slow") // real models at size, servers, fine-tunes: left out of the fast tier (-Pfast)
class LuceneIndexTest {
  public static final String MINILM = "sentence-transformers/all-MiniLM-L6-v2";
  static SentenceTransformer model;
  static Corpus corpus;

  @TempDir Path tmp;

  @BeforeAll
  static void load() {
    Path cache = Path.of("target", "quarry-home").toAbsolutePath();
    model = SentenceTransformer.load(ModelFolder.read(BuiltinModels.materialize(MINILM, cache), MINILM), RuntimeOptions.defaults());
    corpus = Corpus.read(Path.of("..", "datasets", "ai-qa", "corpus.jsonl"));
  }

  @AfterAll
  static void close() {
    model.close();
  }

  LuceneIndex build(Path dir, IndexSettings settings) {
    return CorpusIndexer.openSynced(LuceneIndex.at(dir), model, Path.of("..", "datasets", "ai-qa", "corpus.jsonl"), settings);
  }

  float[] query(String q) {
    return model.encodeQueries(List.of(q), EncodeOptions.defaults())[0];
  }

  /** Fails every fsync while armed: what a disk that reports EIO on fsync does to a commit. */
  static final class FailingSync extends org.apache.lucene.store.FilterDirectory {
    volatile boolean armed;
    final java.util.concurrent.atomic.AtomicInteger failures = new java.util.concurrent.atomic.AtomicInteger();

    FailingSync(org.apache.lucene.store.Directory in) {
      super(in);
    }

    @Override
    public void sync(java.util.Collection<String> names) throws java.io.IOException {
      if (armed) {
        failures.incrementAndGet();
        throw new java.io.IOException("Input/output error (injected fsync failure)");
      }
      super.sync(names);
    }
  }

  @Test
  void aFailedCommitRollsBackAndNoLaterCommitMakesItsDocumentsDurable() {
    Path dir = tmp.resolve("idx");
    build(dir, IndexSettings.defaults()).close();
    FailingSync[] fault = new FailingSync[1];
    Document kept = new Document("kept", "Kept", "Written and committed before the fault.");
    Document lost = new Document("answered-with-an-error", "Lost", "Its commit failed, so its writer answered 500.");
    try (LuceneIndex index = LuceneIndex.open(dir, CorpusIndexer.metadataOf(model), IndexSettings.defaults(),
        d -> fault[0] = new FailingSync(d))) {
      index.upsert(List.of(kept), model.encodeDocuments(List.of(kept.fullText()), EncodeOptions.defaults()));
      index.commit();
      index.upsert(List.of(lost), model.encodeDocuments(List.of(lost.fullText()), EncodeOptions.defaults()));
      fault[0].armed = true;
      assertThrows(dev.quarry.QuarryFailure.class, index::commit);
      assertTrue(fault[0].failures.get() > 0, "the fault was never hit");
      fault[0].armed = false; // the disk recovers: a later write must still not carry the failed one
      String problem = index.writeProblem();
      assertTrue(problem != null && problem.contains("commit failed"), String.valueOf(problem));
      Document later = new Document("later", "Later", "A write after the failure.");
      assertThrows(RuntimeException.class, () -> {
        index.upsert(List.of(later), model.encodeDocuments(List.of(later.fullText()), EncodeOptions.defaults()));
        index.commit();
      });
      assertEquals("kept", index.document("kept").id(), "reads go on from the last commit");
    }
    try (LuceneIndex reopened = LuceneIndex.open(dir, CorpusIndexer.metadataOf(model), IndexSettings.defaults())) {
      assertEquals("kept", reopened.document("kept").id());
      assertNull(reopened.document("answered-with-an-error"), "a document whose commit failed became durable");
      assertNull(reopened.document("later"));
      assertEquals(corpus.size() + 1, reopened.size());
    }
  }

  @Test
  void everyModeFindsTheAnsweringPassage() {
    try (LuceneIndex index = build(tmp.resolve("idx"), IndexSettings.defaults())) {
      assertEquals(corpus.size(), index.size());
      String q = "Which variant of Adam applies weight decay directly to the weights?";
      for (SearchMode mode : SearchMode.values()) {
        List<Hit> hits = index.search(mode, q, query(q), 5);
        assertEquals("adamw", hits.get(0).id(), mode + ": " + hits);
      }
      List<Hit> bm25 = index.bm25("inverted index posting lists", 3);
      assertEquals("inverted-index", bm25.get(0).id());
    }
  }

  @Test
  void hnswAgreesWithExactSearchAndReportsTheModelsScore() {
    try (LuceneIndex index = build(tmp.resolve("idx"), IndexSettings.defaults())) {
      float[] q = query("How are gradients computed for every weight?");
      List<Hit> dense = index.dense(q, 10);
      List<Hit> exact = index.exact(q, 10);
      assertEquals(exact.stream().map(Hit::id).toList(), dense.stream().map(Hit::id).toList(), "183 vectors: HNSW is exact here");
      Document top = index.document(dense.get(0).id());
      float expected = SimilarityFunction.COSINE.score(q, model.encodeDocuments(List.of(top.fullText()), EncodeOptions.defaults())[0]);
      assertEquals(expected, dense.get(0).score(), 1e-4, "Lucene's score mapped back to cosine");
      assertEquals(expected, exact.get(0).score(), 1e-4);
    }
  }

  @Test
  void updatesAndDeletesByIdSurviveReopening() {
    Path dir = tmp.resolve("idx");
    try (LuceneIndex index = build(dir, IndexSettings.defaults())) {
      Document changed = new Document("dropout", "Dropout", "Rewritten: units are silenced at random while training.");
      index.upsert(List.of(changed), model.encodeDocuments(List.of(changed.fullText()), EncodeOptions.defaults()));
      index.delete(List.of("bm25"));
      index.commit();
      assertEquals(corpus.size() - 1, index.size());
    }
    try (LuceneIndex reopened = LuceneIndex.open(dir, CorpusIndexer.metadataOf(model), IndexSettings.defaults())) {
      assertEquals(corpus.size() - 1, reopened.size());
      assertTrue(reopened.document("dropout").text().startsWith("Rewritten"));
      assertNull(reopened.document("bm25"));
      assertTrue(reopened.bm25("Okapi BM25 ranking function", 10).stream().noneMatch(h -> h.id().equals("bm25")));
    }
  }

  @Test
  void aDifferentModelIsRefused() {
    Path dir = tmp.resolve("idx");
    build(dir, IndexSettings.defaults()).close();
    Path cache = Path.of("target", "quarry-home").toAbsolutePath();
    String bge = "BAAI/bge-small-en-v1.5";
    ModelFolder bgeFolder = ModelFolder.read(BuiltinModels.materialize(bge, cache), bge);
    IndexMetadata other = new IndexMetadata(bge, ModelFingerprint.of(bgeFolder), 384, SimilarityFunction.COSINE, true);
    QuarryException e = assertThrows(QuarryException.class, () -> LuceneIndex.open(dir, other, IndexSettings.defaults()));
    assertTrue(e.getMessage().contains(MINILM) && e.getMessage().contains("bge-small"), e.getMessage());
    assertEquals(MINILM, LuceneIndex.readMetadata(dir).modelId());
  }

  /** The check compares what makes the vectors, not display ids: two folders both called "model" differ. */
  @Test
  void theModelCheckUsesTheFingerprintNotTheName() throws Exception {
    Path dir = tmp.resolve("idx");
    build(dir, IndexSettings.defaults()).close();
    IndexMetadata built = LuceneIndex.readMetadata(dir);
    Path cache = Path.of("target", "quarry-home").toAbsolutePath();
    // Another model under the same display id as the one the index was built with.
    ModelFolder e5 = ModelFolder.read(BuiltinModels.materialize("intfloat/e5-small-v2", cache), MINILM);
    IndexMetadata sameName = new IndexMetadata(MINILM, ModelFingerprint.of(e5), 384, SimilarityFunction.COSINE, true);
    assertThrows(QuarryException.class, () -> LuceneIndex.open(dir, sameName, IndexSettings.defaults()));
    // The same weights without the Normalize module: other vectors, refused.
    Path unnormalized = dev.quarry.TestModels.copyOf(MINILM, tmp.resolve("no-normalize"), d -> dev.quarry.TestModels.write(
        d.resolve("modules.json"), "[{\"idx\": 0, \"name\": \"0\", \"path\": \"\", \"type\": \"sentence_transformers.models.Transformer\"},"
            + " {\"idx\": 1, \"name\": \"1\", \"path\": \"1_Pooling\", \"type\": \"sentence_transformers.models.Pooling\"}]"));
    ModelFolder plain = ModelFolder.read(unnormalized, MINILM);
    assertTrue(!plain.normalizes());
    IndexMetadata notNormalized = new IndexMetadata(MINILM, ModelFingerprint.of(plain), 384, SimilarityFunction.COSINE, false);
    QuarryException e = assertThrows(QuarryException.class, () -> LuceneIndex.open(dir, notNormalized, IndexSettings.defaults()));
    assertTrue(e.getMessage().contains("not normalised"), e.getMessage());
    // The same model copied to another folder under another name is accepted.
    Path copy = dev.quarry.TestModels.copyOf(MINILM, tmp.resolve("copy"), d -> { });
    IndexMetadata copied = new IndexMetadata("copy", ModelFingerprint.of(ModelFolder.read(copy, "copy")), 384,
        SimilarityFunction.COSINE, true);
    assertEquals(built.modelFingerprint(), copied.modelFingerprint());
    LuceneIndex.open(dir, copied, IndexSettings.defaults()).close();
  }

  @Test
  void int8QuantisedVectorsStillRankTheAnswerFirst() {
    try (LuceneIndex index = build(tmp.resolve("idx8"), new IndexSettings(16, 100, true, 100))) {
      assertEquals("hybrid-search", index.dense(query("What is reciprocal rank fusion?"), 3).get(0).id());
      assertEquals("adamw", index.dense(query("Which variant of Adam applies weight decay directly to the weights?"), 3).get(0).id());
    }
  }
}
