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
  void rtfAndOdtAreRead() throws Exception {
    Path rtf = dir.resolve("memo.rtf");
    Files.writeString(rtf, "{\\rtf1\\ansi{\\fonttbl\\f0\\fswiss Helvetica;}\\f0\\pard Rotate the signing keys every ninety days.\\par}");
    assertTrue(extractor.extract(rtf).text().contains("Rotate the signing keys every ninety days."), extractor.extract(rtf).text());
    java.util.Map<String, String> odf = new java.util.LinkedHashMap<>();
    odf.put("mimetype", "application/vnd.oasis.opendocument.text");
    odf.put("content.xml", "<?xml version=\"1.0\" encoding=\"UTF-8\"?><office:document-content"
        + " xmlns:office=\"urn:oasis:names:tc:opendocument:xmlns:office:1.0\" xmlns:text=\"urn:oasis:names:tc:opendocument:xmlns:text:1.0\">"
        + "<office:body><office:text><text:h text:outline-level=\"1\">Release plan</text:h><text:p>Ship the chunker in December.</text:p>"
        + "</office:text></office:body></office:document-content>");
    Path odt = TestFiles.zip(dir.resolve("plan.odt"), odf);
    Extracted e = extractor.extract(odt);
    assertTrue(e.text().contains("Ship the chunker in December."), e.text());
    assertEquals("Release plan", e.title());
  }

  @Test
  void epubIsRead() throws Exception {
    Path epub = dir.resolve("book.epub");
    java.util.Map<String, String> parts = new java.util.LinkedHashMap<>();
    parts.put("mimetype", "application/epub+zip");
    parts.put("META-INF/container.xml", "<?xml version=\"1.0\"?><container version=\"1.0\" xmlns=\"urn:oasis:names:tc:opendocument:xmlns:container\">"
        + "<rootfiles><rootfile full-path=\"OEBPS/content.opf\" media-type=\"application/oebps-package+xml\"/></rootfiles></container>");
    parts.put("OEBPS/content.opf", "<?xml version=\"1.0\"?><package xmlns=\"http://www.idpf.org/2007/opf\" version=\"2.0\" unique-identifier=\"id\">"
        + "<metadata xmlns:dc=\"http://purl.org/dc/elements/1.1/\"><dc:title>Field guide to retrieval</dc:title><dc:identifier id=\"id\">x</dc:identifier></metadata>"
        + "<manifest><item id=\"c1\" href=\"chapter1.xhtml\" media-type=\"application/xhtml+xml\"/></manifest><spine><itemref idref=\"c1\"/></spine></package>");
    parts.put("OEBPS/chapter1.xhtml", "<?xml version=\"1.0\"?><html xmlns=\"http://www.w3.org/1999/xhtml\"><head><title>One</title></head><body>"
        + "<h1>Chapter one</h1><p>Bi-encoders embed queries and passages apart.</p></body></html>");
    TestFiles.zip(epub, parts);
    Extracted e = extractor.extract(epub);
    assertTrue(e.text().contains("Bi-encoders embed queries and passages apart."), e.text());
    assertEquals("Field guide to retrieval", e.title());
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
