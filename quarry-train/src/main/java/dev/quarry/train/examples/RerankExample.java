package dev.quarry.train.examples;

import java.util.ArrayList;
import java.util.List;

/**
 * One cross-encoder training row: a query and its documents with their labels. A labelled pair is
 * a row of one document; an n-tuple (query, positive, negatives...) is a row whose first document is
 * the positive (label 1) and the rest negatives (label 0); a listwise row has any labels.
 *
 * @param source where the row came from ({@code file:line}), for errors
 */
public record RerankExample(String query, List<String> documents, List<Double> labels, String source) {
  public RerankExample {
    documents = List.copyOf(documents);
    labels = List.copyOf(labels);
    if (documents.size() != labels.size()) {
      throw new IllegalArgumentException(source + ": " + documents.size() + " documents but " + labels.size() + " labels");
    }
  }

  /** (query, positive, negatives...): the positive labelled 1, the negatives 0. */
  public static RerankExample ofTuple(TrainingExample row) {
    List<String> docs = new ArrayList<>();
    List<Double> labels = new ArrayList<>();
    docs.add(row.positive());
    labels.add(1.0);
    for (String n : row.negatives()) {
      docs.add(n);
      labels.add(0.0);
    }
    return new RerankExample(row.anchor(), docs, labels, row.source());
  }

  /** The row as (anchor, first document, the others): what the no-duplicates sampler compares. */
  public TrainingExample asTuple() {
    return new TrainingExample(query, documents.get(0), documents.subList(1, documents.size()), source);
  }

  /** One row per document, each with its own label (sentence-transformers' "labeled-pair" layout). */
  public List<RerankExample> pairs() {
    List<RerankExample> out = new ArrayList<>();
    for (int i = 0; i < documents.size(); i++) {
      out.add(new RerankExample(query, List.of(documents.get(i)), List.of(labels.get(i)), source));
    }
    return out;
  }
}
