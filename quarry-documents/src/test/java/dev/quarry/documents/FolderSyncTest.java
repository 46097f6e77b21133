package dev.quarry.documents;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.quarry.TestModels;
import dev.quarry.chunk.Chunker;
import dev.quarry.data.Document;
import dev.quarry.encode.EncodeOptions;
import dev.quarry.encode.SentenceTransformer;
import dev.quarry.index.CorpusIndexer;
import dev.quarry.index.IndexSettings;
import dev.quarry.index.SearchMode;
import dev.quarry.index.SourceSync;
import dev.quarry.index.lucene.LuceneIndex;
import dev.quarry.search.Hit;
import dev.quarry.search.Searcher;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A folder of real files synced into a Lucene index with MiniLM, changed, and synced again. */
class FolderSyncTest {
  @TempDir Path tmp;
  private final SentenceTransformer minilm = TestModels.model(TestModels.MINILM);
  private final AtomicInteger encoded = new AtomicInteger();
  private final Function<List<String>, float[][]> encoder = texts -> {
    encoded.addAndGet(texts.size());
    return minilm.encodeDocuments(texts, EncodeOptions.defaults());
  };

  private static final String PARAGRAPH = "Hierarchical navigable small world graphs answer approximate nearest neighbour queries in"
      + " logarithmic time. Each layer holds a subset of the vectors, and a search descends from the sparsest layer. ";

  private Path docs() throws Exception {
    Path d = Files.createDirectories(tmp.resolve("docs"));
    TestFiles.pdf(d.resolve("manual.pdf"), "Vector search manual", List.of(
        List.of("Chapter one: HNSW graphs.", "They are layered proximity graphs.", "Search descends layer by layer.",
            "Construction inserts each vector with a random level.", "The beam width bounds the candidates kept while linking.",
            "Higher degree means better recall and a larger graph."),
        List.of("Chapter two: BM25 scoring.", "Term frequency saturates with k1.", "Length normalisation uses b.",
            "Inverse document frequency rewards rare terms.", "Anserini's defaults for BEIR are k1 0.9 and b 0.4.")));
    TestFiles.docx(d.resolve("notes.docx"), "Meeting notes", List.of("We decided to rerank with a cross-encoder.",
        "Chunking keeps long documents searchable."));
    Files.writeString(d.resolve("page.html"), "<html><head><title>Mitochondria</title><script>var x = 'javascript-secret';</script>"
        + "</head><body><p>The mitochondria is the powerhouse of the cell.</p></body></html>");
    Files.createDirectories(d.resolve("guides"));
    Files.writeString(d.resolve("guides/long.md"), "# A long guide\n\n" + PARAGRAPH.repeat(12));
    Files.createDirectories(d.resolve(".git"));
    Files.writeString(d.resolve(".git/config"), "[core] hidden from the index");
    return d;
  }

  private SourceSync.Report sync(LuceneIndex index, Path dir, Chunker chunker) {
    FolderSources walked = FolderSources.walk(List.of(dir), FolderSources.Options.defaults(), DocumentExtractor.defaults());
    return SourceSync.sync(index, walked.files(), walked.unreadableFolders(), chunker, encoder, SourceSync.Options.defaults(), null);
  }

  private LuceneIndex open(Path where) {
    return LuceneIndex.open(where, CorpusIndexer.metadataOf(minilm), IndexSettings.defaults());
  }

  @Test
  void chunksRecordDocumentPathTitlePageAndOffsets() throws Exception {
    Path dir = docs();
    Chunker chunker = new Chunker(minilm.documentTokenizer(), 48, 8);
    try (LuceneIndex index = open(tmp.resolve("index"))) {
      SourceSync.Report r = sync(index, dir, chunker);
      assertEquals(4, r.sources(), "hidden .git skipped");
      assertEquals(4, r.added());
      assertTrue(r.problems().isEmpty(), r.problems().toString());
      assertTrue(index.holdsChunks());
      Map<String, Integer> perDoc = chunksPerDocument(index);
      assertTrue(perDoc.get("guides/long.md") > 3, "the long guide is cut: " + perDoc);
      assertEquals(Set.of("manual.pdf", "notes.docx", "page.html", "guides/long.md"), perDoc.keySet());
      // Each chunk's offsets point into the document's extracted text, and the PDF's second chapter is on page 2.
      Map<String, Document> all = index.documents(allIds(index, perDoc));
      SourceSync.Extracted manual = DocumentExtractor.defaults().extract(dir.resolve("manual.pdf"));
      for (Document d : all.values()) {
        assertTrue(d.origin().path().endsWith(d.origin().documentId().replace('/', java.io.File.separatorChar)));
        if (d.origin().documentId().equals("manual.pdf")) {
          assertEquals("Vector search manual", d.title());
          assertEquals(manual.text().substring(d.origin().start(), d.origin().end()), d.text());
          assertEquals(manual.pageAt(d.origin().start()), d.origin().page());
        }
      }
      assertTrue(all.values().stream().anyMatch(d -> d.origin().documentId().equals("manual.pdf") && d.origin().page() == 2),
          "a chunk that starts on page 2: " + all.values());
      assertTrue(all.values().stream().noneMatch(d -> d.text().contains("javascript-secret")));
    }
  }

  @Test
  void searchGroupsChunksIntoDocumentsByTheirBestChunk() throws Exception {
    Path dir = docs();
    try (LuceneIndex index = open(tmp.resolve("index"))) {
      sync(index, dir, new Chunker(minilm.documentTokenizer(), 32, 8));
      String q = "how does an HNSW search descend through the layers";
      List<Hit> chunks = index.retriever(SearchMode.EXACT, false).search(q, minilm.encodeQueries(List.of(q), EncodeOptions.defaults())[0], 10);
      long longChunks = chunks.stream().filter(h -> h.id().startsWith("guides/long.md#")).count();
      assertTrue(longChunks > 1, "raw chunks repeat the long guide: " + chunks);
      for (SearchMode mode : List.of(SearchMode.EXACT, SearchMode.DENSE, SearchMode.BM25, SearchMode.HYBRID)) {
        Searcher s = Searcher.of(minilm, index.retriever(mode));
        Searcher.Result r = s.search(q, 4);
        List<String> docIds = r.hits().stream().map(h -> h.document().documentId()).toList();
        assertEquals(new HashSet<>(docIds).size(), docIds.size(), mode + ": each document once: " + docIds);
        // BM25 finds only the documents that share a term with the query; the vector modes rank all four.
        assertEquals(mode == SearchMode.BM25 ? 2 : 4, docIds.size(), mode + ": " + docIds);
        if (mode == SearchMode.EXACT) {
          // max-P: the document's score is its best chunk's, and the hit carries that chunk.
          Hit best = chunks.stream().filter(h -> h.id().startsWith(docIds.get(0) + "#")).findFirst().orElseThrow();
          assertEquals(best.id(), r.hits().get(0).hit().id());
          assertEquals(best.score(), r.hits().get(0).hit().score(), 1e-6);
        }
        List<List<Hit>> ranked = s.rank(List.of(q), 4);
        assertTrue(ranked.get(0).stream().noneMatch(h -> h.id().contains("#")), "evaluation sees document ids: " + ranked);
      }
    }
  }

  @Test
  void resyncReadsNothingUnchangedAndFollowsAddChangeDeleteRenameAndTouch() throws Exception {
    Path dir = docs();
    Chunker chunker = new Chunker(minilm.documentTokenizer(), 48, 8);
    try (LuceneIndex index = open(tmp.resolve("index"))) {
      sync(index, dir, chunker);
      int first = encoded.getAndSet(0);
      assertTrue(first > 4);
      SourceSync.Report again = sync(index, dir, chunker);
      assertEquals(4, again.unchanged());
      assertEquals(0, encoded.get(), "nothing re-encoded");

      Files.writeString(dir.resolve("added.txt"), "A new file about product quantization.");
      Files.writeString(dir.resolve("page.html"), "<html><head><title>Chloroplasts</title></head><body><p>Chloroplasts run photosynthesis."
          + "</p></body></html>");
      Files.delete(dir.resolve("notes.docx"));
      Files.move(dir.resolve("guides/long.md"), dir.resolve("guides/renamed.md"));
      Files.setLastModifiedTime(dir.resolve("manual.pdf"), FileTime.fromMillis(System.currentTimeMillis() + 60_000)); // touched only
      encoded.set(0);
      SourceSync.Report r = sync(index, dir, chunker);
      assertEquals(2, r.added(), "added.txt and the renamed guide");
      assertEquals(1, r.changed(), "page.html");
      assertEquals(2, r.deleted(), "notes.docx and the guide's old name");
      assertEquals(1, r.unchanged(), "manual.pdf: same bytes, newer time");
      Map<String, Integer> perDoc = chunksPerDocument(index);
      assertEquals(Set.of("manual.pdf", "page.html", "added.txt", "guides/renamed.md"), perDoc.keySet());
      assertEquals(encoded.get(), perDoc.get("added.txt") + perDoc.get("page.html") + perDoc.get("guides/renamed.md"),
          "only the new and changed files were encoded");
      Document page = index.document("page.html#0");
      assertEquals("Chloroplasts", page.title());
      assertTrue(index.documents(List.of("page.html#1")).isEmpty(), "no chunk of the old version is left");
      // The touched file's new time was recorded: the next sync compares times only.
      assertEquals(Files.getLastModifiedTime(dir.resolve("manual.pdf")).toMillis(), index.sources().get("manual.pdf").mtime());
      encoded.set(0);
      assertEquals(4, sync(index, dir, chunker).unchanged());
      assertEquals(0, encoded.get());
    }
    // Everything above was committed: a reopened index holds the same.
    try (LuceneIndex index = open(tmp.resolve("index"))) {
      assertEquals(Set.of("manual.pdf", "page.html", "added.txt", "guides/renamed.md"), index.sources().keySet());
    }
  }

  @Test
  void anotherChunkSizeRereadsEverything() throws Exception {
    Path dir = docs();
    try (LuceneIndex index = open(tmp.resolve("index"))) {
      sync(index, dir, new Chunker(minilm.documentTokenizer(), 48, 8));
      int small = chunksPerDocument(index).get("guides/long.md");
      SourceSync.Report r = sync(index, dir, new Chunker(minilm.documentTokenizer(), 200, 16));
      assertEquals(4, r.changed());
      assertTrue(chunksPerDocument(index).get("guides/long.md") < small);
    }
  }

  static Map<String, Integer> chunksPerDocument(LuceneIndex index) {
    Map<String, Integer> out = new java.util.TreeMap<>();
    index.sources().keySet().forEach(src -> {
      int n = 0;
      while (index.document(src + "#" + n) != null) {
        n++;
      }
      out.put(src, n);
    });
    return out;
  }

  private static List<String> allIds(LuceneIndex index, Map<String, Integer> perDoc) {
    List<String> ids = new ArrayList<>();
    perDoc.forEach((doc, n) -> {
      for (int i = 0; i < n; i++) {
        ids.add(doc + "#" + i);
      }
    });
    return ids.stream().collect(Collectors.toList());
  }
}
