package dev.quarry.data;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/** A BEIR corpus in memory, in file order (the order fixes tie-breaking in search). */
public final class Corpus {
  private final List<Document> documents;
  private final Map<String, Integer> index;

  public Corpus(List<Document> documents) {
    this.documents = List.copyOf(documents);
    this.index = new HashMap<>(documents.size() * 2);
    for (int i = 0; i < documents.size(); i++) {
      index.put(documents.get(i).id(), i);
    }
  }

  /** Reads {@code corpus.jsonl} ({@code _id}, {@code title}, {@code text}). */
  public static Corpus read(Path file) {
    List<Document> docs = new ArrayList<>();
    stream(file, docs::add);
    return new Corpus(docs);
  }

  /** Streams {@code corpus.jsonl} document by document, for corpora that do not fit in memory. */
  public static void stream(Path file, Consumer<Document> consumer) {
    JsonlRecords.forEach(file, r -> consumer.accept(document(r, file)));
  }

  /** A corpus record as a document: {@code text} required, {@code title} optional. */
  static Document document(JsonlRecords.Record r, Path file) {
    return new Document(r.id(), JsonlRecords.text(r, "title", file, false), JsonlRecords.text(r, "text", file, true));
  }

  public int size() {
    return documents.size();
  }

  public Document get(int i) {
    return documents.get(i);
  }

  public List<Document> documents() {
    return Collections.unmodifiableList(documents);
  }

  public boolean contains(String id) {
    return index.containsKey(id);
  }

  /** Position of a document id, or -1. */
  public int indexOf(String id) {
    return index.getOrDefault(id, -1);
  }

  /** The bi-encoder texts (title + " " + text) in corpus order. */
  public List<String> fullTexts() {
    return documents.stream().map(Document::fullText).toList();
  }
}
