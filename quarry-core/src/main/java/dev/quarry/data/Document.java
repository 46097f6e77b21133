package dev.quarry.data;

/** One corpus entry of a BEIR dataset. */
public record Document(String id, String title, String text) {
  /**
   * The text a bi-encoder sees: title + " " + text, stripped, as BEIR and MTEB build it
   * ({@code (doc["title"] + " " + doc["text"]).strip()}).
   */
  public String fullText() {
    return (title + " " + text).strip();
  }
}
