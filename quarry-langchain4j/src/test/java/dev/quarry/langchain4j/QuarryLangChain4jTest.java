package dev.quarry.langchain4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.langchain4j.data.document.Metadata;
import dev.langchain4j.data.embedding.Embedding;
import dev.langchain4j.data.segment.TextSegment;
import dev.langchain4j.model.embedding.request.EmbeddingInputType;
import dev.langchain4j.model.embedding.request.EmbeddingRequest;
import dev.langchain4j.model.embedding.response.EmbeddingResponse;
import dev.langchain4j.rag.content.Content;
import dev.langchain4j.rag.content.aggregator.ReRankingContentAggregator;
import dev.langchain4j.rag.content.retriever.EmbeddingStoreContentRetriever;
import dev.langchain4j.rag.query.Query;
import dev.langchain4j.store.embedding.inmemory.InMemoryEmbeddingStore;
import dev.quarry.TestModels;
import dev.quarry.data.Corpus;
import dev.quarry.data.Document;
import dev.quarry.encode.EncodeOptions;
import dev.quarry.encode.RuntimeOptions;
import dev.quarry.encode.SentenceTransformer;
import dev.quarry.model.CrossEncoderFolder;
import dev.quarry.modules.Normalize;
import dev.quarry.rerank.CrossEncoder;
import dev.quarry.rerank.RankedDocument;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Quarry's models inside a real LangChain4j retrieval pipeline, and what they must not drag in. */
class QuarryLangChain4jTest {
  @TempDir Path tmp;

  @Test
  void vectorsAreTheLibrarysForEachInputTypeAndDimensions() {
    SentenceTransformer bge = TestModels.model(TestModels.BGE);
    QuarryEmbeddingModel model = QuarryEmbeddingModel.of(bge);
    List<String> texts = List.of("what is dropout?", "Dropout zeroes random activations during training.");
    float[][] queries = bge.encodeQueries(texts, EncodeOptions.defaults());
    float[][] documents = bge.encodeDocuments(texts, EncodeOptions.defaults());
    float[][] plain = bge.encode(texts, EncodeOptions.defaults()).floats();
    assertEquals(queries[0].length, model.dimension());
    assertEquals(TestModels.BGE, model.modelName());
    for (EmbeddingInputType type : new EmbeddingInputType[] {EmbeddingInputType.QUERY, EmbeddingInputType.DOCUMENT, null}) {
      float[][] want = type == EmbeddingInputType.QUERY ? queries : type == EmbeddingInputType.DOCUMENT ? documents : plain;
      EmbeddingResponse r = model.embed(EmbeddingRequest.builder().inputs(texts.toArray(String[]::new)).inputType(type).build());
      for (int i = 0; i < texts.size(); i++) {
        assertTrue(Arrays.equals(want[i], r.embeddings().get(i).vector()), type + " text " + i);
      }
      assertTrue(r.tokenUsage().inputTokenCount() > 10, "usage counts tokens: " + r.tokenUsage());
    }
    assertTrue(maxAbsDiff(queries[0], plain[0]) > 1e-3, "bge's query prompt changes the vector");

    float[] cut = Arrays.copyOf(plain[0], 64);
    Normalize.l2NormalizeInPlace(cut);
    EmbeddingResponse small = model.embed(EmbeddingRequest.builder().input(texts.get(0)).dimensions(64).build());
    assertTrue(Arrays.equals(cut, small.embeddings().get(0).vector()));
    assertThrows(RuntimeException.class, () -> model.embed(EmbeddingRequest.builder().input("x").dimensions(385).build()));
    // The pre-1.x entry points give the same vectors.
    assertTrue(Arrays.equals(plain[1], model.embed(texts.get(1)).content().vector()));
    assertTrue(Arrays.equals(plain[0], model.embedAll(List.of(TextSegment.from(texts.get(0)))).content().get(0).vector()));
  }

  @Test
  void aRetrievalPipelineWithAQuarryRerankerReturnsTheExpectedPassage() {
    Corpus corpus = Corpus.read(Path.of("..", "datasets", "ai-qa", "corpus.jsonl"));
    QuarryEmbeddingModel model = QuarryEmbeddingModel.of(TestModels.model(TestModels.MINILM));
    InMemoryEmbeddingStore<TextSegment> store = new InMemoryEmbeddingStore<>();
    List<TextSegment> segments = new ArrayList<>();
    for (Document d : corpus.documents()) {
      segments.add(TextSegment.from(d.fullText(), Metadata.from("id", d.id())));
    }
    List<Embedding> vectors = model.embed(EmbeddingRequest.builder().textSegments(segments).inputType(EmbeddingInputType.DOCUMENT)
        .build()).embeddings();
    store.addAll(vectors, segments);

    EmbeddingStoreContentRetriever retriever = EmbeddingStoreContentRetriever.builder().embeddingStore(store).embeddingModel(model)
        .embeddingInputType(EmbeddingInputType.QUERY).maxResults(5).build();
    // q002 of the bundled set; its judged passage (qrels/train.tsv) is supervised-learning.
    Query query = Query.from("What kind of learning needs labelled input-output pairs?");
    List<Content> retrieved = retriever.retrieve(query);
    assertEquals(5, retrieved.size());
    assertTrue(retrieved.stream().anyMatch(c -> "supervised-learning".equals(c.textSegment().metadata().getString("id"))),
        "the judged passage is among MiniLM's top 5: " + retrieved.stream().map(c -> c.textSegment().metadata().getString("id")
            + " " + c.metadata()).toList());

    CrossEncoder ce = CrossEncoder.load(CrossEncoderFolder.read(TestModels.crossEncoder(tmp.resolve("ce"), 1, null), "ce",
        tmp.resolve("cache")), RuntimeOptions.defaults());
    try (QuarryScoringModel scorer = QuarryScoringModel.of(ce)) {
      ReRankingContentAggregator aggregator = ReRankingContentAggregator.builder().scoringModel(scorer).build();
      Map<Query, Collection<List<Content>>> byQuery = Map.of(query, List.of(retrieved));
      List<Content> reranked = aggregator.aggregate(byQuery);
      // Every candidate comes back, in the cross-encoder's order (`quarry rerank`'s), the judged passage among them.
      List<String> texts = retrieved.stream().map(c -> c.textSegment().text()).toList();
      List<RankedDocument> want = ce.rank(query.text(), texts, 0, true);
      assertEquals(want.size(), reranked.size());
      for (int r = 0; r < want.size(); r++) {
        assertEquals(want.get(r).text(), reranked.get(r).textSegment().text(), "rank " + r);
      }
      assertTrue(reranked.stream().anyMatch(c -> "supervised-learning".equals(c.textSegment().metadata().getString("id"))));
      assertEquals(want.get(0).score(), scorer.score(texts.get(want.get(0).corpusId()), query.text()).content(), 1e-6);
    } finally {
      ce.close();
    }
  }

  @Test
  void theModuleBringsNoServerLuceneOrLibtorch() {
    for (String absent : List.of("dev.quarry.server.QuarryServer", "dev.quarry.index.lucene.LuceneIndex", "org.apache.lucene.index.IndexWriter",
        "ai.djl.pytorch.engine.PtEngine", "ai.djl.pytorch.jni.LibUtils", "dev.quarry.train.FineTuning")) {
      assertThrows(ClassNotFoundException.class, () -> Class.forName(absent), absent + " is on quarry-langchain4j's classpath");
    }
  }

  private static double maxAbsDiff(float[] a, float[] b) {
    double m = 0;
    for (int i = 0; i < a.length; i++) {
      m = Math.max(m, Math.abs(a[i] - b[i]));
    }
    return m;
  }
}
