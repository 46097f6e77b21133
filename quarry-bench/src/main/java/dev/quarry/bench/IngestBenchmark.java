package dev.quarry.bench;

import dev.quarry.chunk.Chunker;
import dev.quarry.data.Corpus;
import dev.quarry.data.Document;
import dev.quarry.documents.DocumentExtractor;
import dev.quarry.documents.FolderSources;
import dev.quarry.encode.EncodeOptions;
import dev.quarry.encode.SentenceTransformer;
import dev.quarry.index.CorpusIndexer;
import dev.quarry.index.IndexSettings;
import dev.quarry.index.SourceSync;
import dev.quarry.index.lucene.LuceneIndex;
import java.io.IOException;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.text.Normalizer;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import org.apache.pdfbox.pdmodel.PDDocument;
import org.apache.pdfbox.pdmodel.PDPage;
import org.apache.pdfbox.pdmodel.PDPageContentStream;
import org.apache.pdfbox.pdmodel.font.PDType1Font;
import org.apache.pdfbox.pdmodel.font.Standard14Fonts;
import org.apache.poi.xwpf.usermodel.XWPFDocument;

/**
 * Ingest throughput of a folder of your own documents, through the library path {@code quarry index
 * PATH} runs ({@link FolderSources#walk}, then {@link SourceSync#sync} with the default chunker,
 * extractor and sync options, MiniLM's document encoding), against encoding the same chunk texts
 * alone in the same batches, in one run.
 *
 * <p>The folder is generated here from SciFact abstracts (real text of varied length): PDF (one or
 * two pages, PDFBox), DOCX (POI), HTML with a script and a style, Markdown and plain text, a fifth
 * each. Prints files/s, chunks/s, the overhead of reading files over encoding alone, and the peak heap.
 *
 * <p>Usage: {@code IngestBenchmark SCIFACT_DIR WORK_DIR [FILES=10000] [MODEL=all-MiniLM-L6-v2]}
 */
public final class IngestBenchmark {
  private IngestBenchmark() {}

  public static void main(String[] args) throws Exception {
    Path scifact = Path.of(args[0]);
    Path work = Path.of(args[1]);
    int files = args.length > 2 ? Integer.parseInt(args[2]) : 10_000;
    String modelId = args.length > 3 ? args[3] : "sentence-transformers/all-MiniLM-L6-v2";
    Path docs = work.resolve("docs");
    long t0 = System.nanoTime();
    Map<String, Integer> formats = generate(Corpus.read(scifact.resolve("corpus.jsonl")).documents(), docs, files);
    System.out.printf(Locale.ROOT, "generated %d files %s in %.1f s%n", files, formats, secs(t0));

    try (SentenceTransformer m = SentenceTransformer.load(modelId);
        LuceneIndex index = LuceneIndex.open(work.resolve("index"), CorpusIndexer.metadataOf(m), IndexSettings.defaults());
        DocumentExtractor extractor = DocumentExtractor.defaults()) {
      m.encodeDocuments(List.of("warm up the runtime"), EncodeOptions.defaults());
      Chunker chunker = Chunker.forModel(m, null, null);
      resetPeakHeap();
      long start = System.nanoTime();
      FolderSources walked = FolderSources.walk(List.of(docs), FolderSources.Options.defaults(), extractor);
      SourceSync.Report r = SourceSync.sync(index, walked.files(), walked.unreadableFolders(), chunker,
          texts -> m.encodeDocuments(texts, EncodeOptions.defaults()), SourceSync.Options.defaults(), null);
      double ingest = secs(start);
      long peak = peakHeap();
      System.out.printf(Locale.ROOT, "ingest: %s in %.1f s: %.1f files/s, %.1f chunks/s; %d skipped; peak heap %d MB (-Xmx %d MB)%n",
          r.summary(), ingest, r.sources() / ingest, r.chunks() / ingest, r.problems().size(), peak >> 20,
          Runtime.getRuntime().maxMemory() >> 20);

      // The same chunk texts, in the sync's order and batches, encoded alone.
      List<String> texts = new ArrayList<>();
      for (SourceSync.Source s : walked.files()) {
        for (int i = 0; ; i++) {
          Document d = index.document(s.id() + "#" + i);
          if (d == null) {
            break;
          }
          texts.add(d.fullText());
        }
      }
      int batch = SourceSync.Options.defaults().batchChunks();
      start = System.nanoTime();
      for (int from = 0; from < texts.size(); from += batch) {
        m.encodeDocuments(texts.subList(from, Math.min(texts.size(), from + batch)), EncodeOptions.defaults());
      }
      double encodeOnly = secs(start);
      System.out.printf(Locale.ROOT, "encoding the same %d chunks alone: %.1f s (%.1f chunks/s)%n", texts.size(), encodeOnly,
          texts.size() / encodeOnly);
      System.out.printf(Locale.ROOT, "overhead of reading, chunking and indexing files over encoding alone: %+.1f%% (target <= 15%%)%n",
          100 * (ingest - encodeOnly) / encodeOnly);
    }
  }

  private static Map<String, Integer> generate(List<Document> source, Path dir, int files) throws IOException {
    Files.createDirectories(dir);
    Map<String, Integer> formats = new TreeMap<>();
    String[] kinds = {"pdf", "docx", "html", "md", "txt"};
    for (int i = 0; i < files; i++) {
      Document d = source.get(i % source.size());
      String kind = kinds[i % kinds.length];
      Path sub = Files.createDirectories(dir.resolve(String.format(Locale.ROOT, "part-%02d", i / 500)));
      Path f = sub.resolve(String.format(Locale.ROOT, "doc-%05d.%s", i, kind));
      formats.merge(kind, 1, Integer::sum);
      if (Files.exists(f)) {
        continue;
      }
      switch (kind) {
        case "pdf" -> pdf(f, d);
        case "docx" -> docx(f, d);
        case "html" -> Files.writeString(f, "<html><head><title>" + escape(d.title()) + "</title><style>p{margin:0}</style><script>var"
            + " track = 1;</script></head><body><h1>" + escape(d.title()) + "</h1><p>" + escape(d.text()) + "</p></body></html>");
        case "md" -> Files.writeString(f, "# " + d.title() + "\n\n" + d.text() + "\n");
        default -> Files.writeString(f, d.title() + "\n\n" + d.text() + "\n");
      }
    }
    return formats;
  }

  private static void pdf(Path f, Document d) throws IOException {
    // The standard Helvetica encodes WinAnsi only: the text is folded to ASCII for the PDF.
    String text = Normalizer.normalize(d.text(), Normalizer.Form.NFD).replaceAll("[^\\x20-\\x7E]", "");
    List<String> lines = new ArrayList<>();
    StringBuilder line = new StringBuilder();
    for (String word : text.split(" ")) {
      if (line.length() + word.length() > 95) {
        lines.add(line.toString());
        line.setLength(0);
      }
      line.append(word).append(' ');
    }
    lines.add(line.toString());
    try (PDDocument doc = new PDDocument()) {
      doc.getDocumentInformation().setTitle(Normalizer.normalize(d.title(), Normalizer.Form.NFD).replaceAll("[^\\x20-\\x7E]", ""));
      for (int from = 0; from < lines.size(); from += 12) { // short pages: most abstracts span two or three
        PDPage page = new PDPage();
        doc.addPage(page);
        try (PDPageContentStream cs = new PDPageContentStream(doc, page)) {
          cs.beginText();
          cs.setFont(new PDType1Font(Standard14Fonts.FontName.HELVETICA), 10);
          cs.setLeading(13);
          cs.newLineAtOffset(40, 740);
          for (String l : lines.subList(from, Math.min(lines.size(), from + 12))) {
            cs.showText(l);
            cs.newLine();
          }
          cs.endText();
        }
      }
      try (OutputStream out = Files.newOutputStream(f)) {
        doc.save(out);
      }
    }
  }

  private static void docx(Path f, Document d) throws IOException {
    try (XWPFDocument doc = new XWPFDocument(); OutputStream out = Files.newOutputStream(f)) {
      doc.getProperties().getCoreProperties().setTitle(d.title());
      doc.createParagraph().createRun().setText(d.text());
      doc.write(out);
    }
  }

  private static String escape(String s) {
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
  }

  private static void resetPeakHeap() {
    System.gc();
    for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
      if (pool.getType() == MemoryType.HEAP) {
        pool.resetPeakUsage();
      }
    }
  }

  /** The sum of the heap pools' peaks since the reset: an upper bound of the heap in use at any one time. */
  private static long peakHeap() {
    long sum = 0;
    for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
      if (pool.getType() == MemoryType.HEAP) {
        sum += pool.getPeakUsage().getUsed();
      }
    }
    return sum;
  }

  private static double secs(long since) {
    return (System.nanoTime() - since) / 1e9;
  }
}
