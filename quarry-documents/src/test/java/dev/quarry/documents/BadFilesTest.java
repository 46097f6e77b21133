package dev.quarry.documents;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.quarry.TestModels;
import dev.quarry.chunk.Chunker;
import dev.quarry.encode.EncodeOptions;
import dev.quarry.encode.SentenceTransformer;
import dev.quarry.index.CorpusIndexer;
import dev.quarry.index.IndexSettings;
import dev.quarry.index.SourceSync;
import dev.quarry.index.lucene.LuceneIndex;
import java.io.IOException;
import java.io.InputStream;
import java.io.RandomAccessFile;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Collectors;
import org.apache.tika.exception.TikaException;
import org.apache.tika.metadata.Metadata;
import org.apache.tika.metadata.TikaCoreProperties;
import org.apache.tika.parser.AutoDetectParser;
import org.apache.tika.parser.ParseContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xml.sax.ContentHandler;
import org.xml.sax.SAXException;

/**
 * Every kind of bad file in one folder, read with the production limits (100 MB, 20 million
 * characters, 60 s per file): each is skipped with its path and reason in the report, and the good
 * files beside them are indexed.
 */
class BadFilesTest {
  @TempDir Path tmp;
  private final SentenceTransformer minilm = TestModels.model(TestModels.MINILM);

  /** Tika's parser, except that it never returns for files named hangs.*, and ignores interrupts: a parser stuck in a loop. */
  static final class HangingParser extends AutoDetectParser {
    private static final long serialVersionUID = 1L;

    @Override
    public void parse(InputStream stream, ContentHandler handler, Metadata metadata, ParseContext context)
        throws IOException, SAXException, TikaException {
      if (metadata.get(TikaCoreProperties.RESOURCE_NAME_KEY).startsWith("hangs")) {
        while (true) {
          try {
            Thread.sleep(1000);
          } catch (InterruptedException ignored) {
            // stuck for good
          }
        }
      }
      super.parse(stream, handler, metadata, context);
    }
  }

  @Test
  void eachBadFileIsSkippedWithItsReasonAndTheRestIsIndexed() throws Exception {
    Path dir = Files.createDirectories(tmp.resolve("docs"));
    Files.writeString(dir.resolve("good.md"), "# Good\n\nThe mitochondria is the powerhouse of the cell.");
    TestFiles.pdf(dir.resolve("good.pdf"), "Good PDF", List.of(List.of("Photosynthesis happens in chloroplasts.")));
    TestFiles.encryptedPdf(dir.resolve("encrypted.pdf"));
    Files.write(dir.resolve("corrupt.pdf"), ("%PDF-1.7\n1 0 obj <</Type /Catalog /Pages 2 0 R>>\n" + "garbage ".repeat(200)).getBytes());
    TestFiles.scannedPdf(dir.resolve("scanned.pdf"));
    try (RandomAccessFile huge = new RandomAccessFile(dir.resolve("huge.txt").toFile(), "rw")) {
      huge.setLength((DocumentExtractor.DEFAULT_MAX_FILE_MB + 1) * 1024L * 1024L); // sparse: no disk used
    }
    byte[] junk = new byte[4096];
    new Random(7).nextBytes(junk);
    Files.write(dir.resolve("junk.txt"), junk);
    Files.write(dir.resolve("junk.md"), junk);
    TestFiles.docx(dir.resolve("zipbomb.docx"), "Bomb", List.of("a".repeat(30_000_000)));
    Files.writeString(dir.resolve("hangs.txt"), "never read");
    Path sub = Files.createDirectories(dir.resolve("sub"));
    Files.writeString(sub.resolve("inner.txt"), "A file inside a folder that links back to its parent.");
    Files.createSymbolicLink(sub.resolve("loop"), dir);
    assertTrue(Files.size(dir.resolve("zipbomb.docx")) < 1_000_000, "the bomb is small on disk");

    SourceSync.Report r;
    try (DocumentExtractor extractor = DocumentExtractor.defaults(new HangingParser());
        LuceneIndex index = LuceneIndex.open(tmp.resolve("index"), CorpusIndexer.metadataOf(minilm), IndexSettings.defaults())) {
      FolderSources walked = FolderSources.walk(List.of(dir), FolderSources.Options.defaults(), extractor);
      r = SourceSync.sync(index, walked.files(), walked.unreadableFolders(), Chunker.forModel(minilm, null, 32),
          texts -> minilm.encodeDocuments(texts, EncodeOptions.defaults()), SourceSync.Options.defaults(), null);
      Map<String, String> why = walked.problems().stream().collect(Collectors.toMap(p -> Path.of(p.path()).getFileName().toString(),
          SourceSync.Problem::reason));
      r.problems().forEach(p -> why.put(Path.of(p.path()).getFileName().toString(), p.reason()));
      assertContains(why, "encrypted.pdf", "encrypted");
      assertContains(why, "corrupt.pdf", "corrupt");
      assertContains(why, "scanned.pdf", "no text could be extracted");
      assertContains(why, "huge.txt", "over the 100 MB limit");
      assertContains(why, "junk.txt", "binary data");
      assertContains(why, "junk.md", "binary data");
      assertContains(why, "zipbomb.docx", "zip bomb");
      assertContains(why, "hangs.txt", "did not finish within 60 s");
      assertContains(why, "loop", "symbolic link loop");
      assertEquals(8, r.problems().size(), "the bad files, each once: " + r.problems());
      assertEquals(Map.of("good.md", 1, "good.pdf", 1, "sub/inner.txt", 1), FolderSyncTest.chunksPerDocument(index));
      assertFalse(r.nothingReadable());
    }
  }

  @Test
  void aFileThatTurnsBadKeepsItsIndexedVersion() throws Exception {
    Path dir = Files.createDirectories(tmp.resolve("docs"));
    TestFiles.pdf(dir.resolve("report.pdf"), "Report", List.of(List.of("Vector databases store embeddings.")));
    try (LuceneIndex index = LuceneIndex.open(tmp.resolve("index"), CorpusIndexer.metadataOf(minilm), IndexSettings.defaults())) {
      Chunker chunker = Chunker.forModel(minilm, null, 32);
      sync(index, dir, chunker);
      Files.write(dir.resolve("report.pdf"), "%PDF-1.7\nnot a pdf any more".getBytes()); // a half-written save, say
      SourceSync.Report r = sync(index, dir, chunker);
      assertEquals(1, r.problems().size());
      assertTrue(r.nothingReadable());
      assertEquals("Vector databases store embeddings.", index.document("report.pdf#0").text().strip(), "the last good version stays");
    }
  }

  @Test
  void permissionDenied() throws Exception {
    assertEquals("permission denied", DocumentExtractor.reason(new AccessDeniedException("/x")));
    Path dir = Files.createDirectories(tmp.resolve("docs"));
    Path locked = dir.resolve("locked.txt");
    Files.writeString(locked, "private");
    Files.setPosixFilePermissions(locked, PosixFilePermissions.fromString("---------"));
    // Root reads any file whatever its mode: then only the reason's wording above is checked.
    if (!Files.isReadable(locked)) {
      FolderSources walked = FolderSources.walk(List.of(dir), FolderSources.Options.defaults(), DocumentExtractor.defaults());
      SourceSync.Problem p = assertThrowsUnreadable(walked);
      assertTrue(p.reason().contains("permission denied"), p.reason());
    }
  }

  private static SourceSync.Problem assertThrowsUnreadable(FolderSources walked) {
    SourceSync.Source s = walked.files().get(0);
    try {
      s.sha256();
    } catch (SourceSync.Unreadable e) {
      return new SourceSync.Problem(s.path(), e.getMessage());
    }
    throw new AssertionError("an unreadable file was read");
  }

  private SourceSync.Report sync(LuceneIndex index, Path dir, Chunker chunker) {
    FolderSources walked = FolderSources.walk(List.of(dir), FolderSources.Options.defaults(), DocumentExtractor.defaults());
    return SourceSync.sync(index, walked.files(), walked.unreadableFolders(), chunker,
        texts -> minilm.encodeDocuments(texts, EncodeOptions.defaults()), SourceSync.Options.defaults(), null);
  }

  private static void assertContains(Map<String, String> why, String file, String reason) {
    assertTrue(why.containsKey(file), file + " not reported: " + why);
    assertTrue(why.get(file).contains(reason), file + ": '" + why.get(file) + "' does not say '" + reason + "'");
  }
}
