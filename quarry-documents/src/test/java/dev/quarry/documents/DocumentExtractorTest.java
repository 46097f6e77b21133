package dev.quarry.documents;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.quarry.index.SourceSync.Extracted;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Real files of each format, made here, read through Tika. */
class DocumentExtractorTest {
  @TempDir Path dir;
  private final DocumentExtractor extractor = DocumentExtractor.defaults();

  @Test
  void pdfKeepsItsPagesAndMetadataTitle() {
    Path pdf = TestFiles.pdf(dir.resolve("report.pdf"), "Quarterly vector report",
        List.of(List.of("Page one talks about HNSW graphs."), List.of("Page two talks about BM25 scoring.")));
    Extracted e = extractor.extract(pdf);
    assertEquals("Quarterly vector report", e.title());
    assertEquals(2, e.pageStarts().length, "one start per page");
    int two = e.text().indexOf("Page two");
    assertTrue(two > 0, e.text());
    assertEquals(1, e.pageAt(e.text().indexOf("Page one")));
    assertEquals(2, e.pageAt(two));
  }

  @Test
  void docxTitleAndParagraphs() {
    Path docx = TestFiles.docx(dir.resolve("notes.docx"), "Meeting notes", List.of("First paragraph on reranking.",
        "Second paragraph on chunking."));
    Extracted e = extractor.extract(docx);
    assertEquals("Meeting notes", e.title());
    assertTrue(e.text().contains("First paragraph on reranking.\n\nSecond paragraph on chunking."), e.text());
    assertEquals(0, e.pageStarts().length);
  }

  @Test
  void htmlDropsScriptAndStyleAndTakesTheTitleElement() throws Exception {
    Path html = dir.resolve("page.html");
    Files.writeString(html, "<html><head><title>HNSW graphs</title><style>.x{color:red}</style>"
        + "<script>var leaked = 'javascript-secret';</script></head><body><h1>Small worlds</h1>"
        + "<p>HNSW builds a layered graph.</p><script>document.write('more-secret')</script></body></html>");
    Extracted e = extractor.extract(html);
    assertEquals("HNSW graphs", e.title());
    assertTrue(e.text().contains("HNSW builds a layered graph."), e.text());
    assertFalse(e.text().contains("secret") || e.text().contains("color"), "script or style leaked: " + e.text());
  }

  @Test
  void titleFallsBackToTheFirstHeadingThenTheFileName() throws Exception {
    Path html = dir.resolve("untitled.html");
    Files.writeString(html, "<html><body><p>intro</p><h2>Dense retrieval</h2><p>text</p></body></html>");
    assertEquals("Dense retrieval", extractor.extract(html).title());
    Path md = dir.resolve("guide.md");
    Files.writeString(md, "Some preamble.\n\n# Installing Quarry\n\nRun it.\n");
    Extracted e = extractor.extract(md);
    assertEquals("Installing Quarry", e.title());
    assertTrue(e.text().startsWith("Some preamble."));
    Path txt = dir.resolve("plain.txt");
    Files.writeString(txt, "no heading here");
    assertEquals("plain.txt", extractor.extract(txt).title());
  }

  @Test
  void legacyEncodingsAreTextButRandomBytesAreNot() throws Exception {
    Path latin1 = dir.resolve("latin1.txt");
    Files.write(latin1, "Café crème, déjà vu: naïve résumé of the système métrique et la société française.".getBytes("ISO-8859-1"));
    assertTrue(extractor.extract(latin1).text().contains("Café crème"), "a Latin-1 file is read in its own charset");
    assertTrue(DocumentExtractor.looksBinary("\u0000\u0001\u0002abc\uFFFD\uFFFD\uE000\uE001"));
    assertFalse(DocumentExtractor.looksBinary("東京の天気はどうですか 🙂 emoji, Ελληνικά, русский"));
  }

  @Test
  void pageOffsetsFollowTheStrippedText() {
    Extracted e = new Extracted("t", "abc", new int[] {0, 10, 20});
    assertEquals(1, e.pageAt(0));
    assertEquals(1, e.pageAt(9));
    assertEquals(2, e.pageAt(10));
    assertEquals(3, e.pageAt(25));
    assertArrayEquals(new int[] {0, 10, 20}, e.pageStarts());
  }
}
