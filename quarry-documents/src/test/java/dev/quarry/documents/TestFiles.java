package dev.quarry.documents;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.pdfbox.pdmodel.PDDocument;
import org.apache.pdfbox.pdmodel.PDPage;
import org.apache.pdfbox.pdmodel.PDPageContentStream;
import org.apache.pdfbox.pdmodel.encryption.AccessPermission;
import org.apache.pdfbox.pdmodel.encryption.StandardProtectionPolicy;
import org.apache.pdfbox.pdmodel.font.PDType1Font;
import org.apache.pdfbox.pdmodel.font.Standard14Fonts;
import org.apache.poi.xwpf.usermodel.XWPFDocument;

/** Real PDF and Word files, made with the libraries Tika reads them with (PDFBox, POI), small enough to make in a test. */
public final class TestFiles {
  private TestFiles() {}

  /** A PDF with one page per entry of {@code pages}, each a list of lines; a title in its metadata when given. */
  public static Path pdf(Path file, String title, List<List<String>> pages) {
    try (PDDocument doc = new PDDocument()) {
      if (title != null) {
        doc.getDocumentInformation().setTitle(title);
      }
      for (List<String> lines : pages) {
        PDPage page = new PDPage();
        doc.addPage(page);
        try (PDPageContentStream cs = new PDPageContentStream(doc, page)) {
          cs.beginText();
          cs.setFont(new PDType1Font(Standard14Fonts.FontName.HELVETICA), 11);
          cs.setLeading(14);
          cs.newLineAtOffset(50, 740);
          for (String line : lines) {
            cs.showText(line);
            cs.newLine();
          }
          cs.endText();
        }
      }
      write(doc, file);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return file;
  }

  /** A PDF that opens only with a password. */
  public static Path encryptedPdf(Path file) {
    pdf(file, "Secret", List.of(List.of("The launch codes are in the drawer.")));
    try (PDDocument doc = org.apache.pdfbox.Loader.loadPDF(file.toFile())) {
      StandardProtectionPolicy policy = new StandardProtectionPolicy("owner-password", "user-password", new AccessPermission());
      policy.setEncryptionKeyLength(128);
      doc.protect(policy);
      write(doc, file);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return file;
  }

  /** A PDF whose page is a picture (here a filled rectangle) with no text layer: what a scanner makes. */
  public static Path scannedPdf(Path file) {
    try (PDDocument doc = new PDDocument()) {
      PDPage page = new PDPage();
      doc.addPage(page);
      try (PDPageContentStream cs = new PDPageContentStream(doc, page)) {
        cs.addRect(50, 50, 400, 600);
        cs.fill();
      }
      write(doc, file);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return file;
  }

  /** A .docx with a title in its properties and one paragraph per entry. */
  public static Path docx(Path file, String title, List<String> paragraphs) {
    try (XWPFDocument doc = new XWPFDocument(); OutputStream out = Files.newOutputStream(file)) {
      if (title != null) {
        doc.getProperties().getCoreProperties().setTitle(title);
      }
      for (String p : paragraphs) {
        doc.createParagraph().createRun().setText(p);
      }
      doc.write(out);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return file;
  }

  /** A zip of the given entries, in order (ODF and EPUB containers: mimetype first). */
  public static Path zip(Path file, java.util.Map<String, String> entries) {
    try (java.util.zip.ZipOutputStream zip = new java.util.zip.ZipOutputStream(Files.newOutputStream(file))) {
      for (var e : entries.entrySet()) {
        zip.putNextEntry(new java.util.zip.ZipEntry(e.getKey()));
        zip.write(e.getValue().getBytes(java.nio.charset.StandardCharsets.UTF_8));
        zip.closeEntry();
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return file;
  }

  private static void write(PDDocument doc, Path file) throws IOException {
    try (OutputStream out = Files.newOutputStream(file)) {
      doc.save(out);
    }
  }
}
