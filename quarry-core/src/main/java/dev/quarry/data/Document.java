package dev.quarry.data;

/**
 * One passage: a BEIR corpus entry, or a chunk of a file.
 *
 * @param origin where a chunk comes from, or null for a passage that is a whole document
 */
public record Document(String id, String title, String text, Origin origin) {
  /** A passage that is a whole document (a BEIR corpus entry). */
  public Document(String id, String title, String text) {
    this(id, title, text, null);
  }

  /**
   * Where a chunk lies in its document.
   *
   * @param documentId the document's id (for a file: its path under the indexed folder)
   * @param path the file's path as indexed, or "" for a chunked corpus entry
   * @param page the PDF page its first character is on, from 1; 0 where a format has no pages
   * @param start offset of its first character in the document's extracted text
   * @param end offset just past its last character
   */
  public record Origin(String documentId, String path, int page, int start, int end) {}

  /**
   * The text a bi-encoder sees: title + " " + text, stripped, as BEIR and MTEB build it
   * ({@code (doc["title"] + " " + doc["text"]).strip()}).
   */
  public String fullText() {
    return (title + " " + text).strip();
  }

  /** The id of the document this passage belongs to: its own id unless it is a chunk. */
  public String documentId() {
    return origin == null ? id : origin.documentId();
  }
}
