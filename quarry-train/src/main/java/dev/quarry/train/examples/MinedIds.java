package dev.quarry.train.examples;

import com.fasterxml.jackson.databind.JsonNode;
import dev.quarry.QuarryException;
import dev.quarry.data.BeirDataset;
import java.util.List;

/** Checks the ids of a mined row ({@code quarry mine}'s JSONL) against the dataset it claims to come from. */
final class MinedIds {
  private MinedIds() {}

  static void check(JsonNode row, String where, BeirDataset dataset, String anchor, String positive, List<String> negatives) {
    String queryId = id(row, "query_id", where);
    if (queryId != null) {
      String text = dataset.queries().get(queryId);
      if (text == null) {
        throw new QuarryException(where + ": unknown query_id '" + queryId + "' (not in " + dataset.dir().resolve("queries.jsonl") + ").");
      }
      same(where, "anchor", "query " + queryId, anchor, text);
    }
    String positiveId = id(row, "positive_id", where);
    if (positiveId != null) {
      same(where, "positive", "document " + positiveId, positive, document(dataset, positiveId, where, "positive_id"));
    }
    List<String> negativeIds = TrainingData.strings(row.has("negative_ids") ? row.get("negative_ids") : row.get("negative_id"),
        where, row.has("negative_ids") ? "negative_ids" : "negative_id");
    if (negativeIds.isEmpty()) {
      return;
    }
    if (negativeIds.size() != negatives.size()) {
      throw new QuarryException(where + ": " + negativeIds.size() + " negative ids for " + negatives.size() + " negative texts.");
    }
    for (int i = 0; i < negativeIds.size(); i++) {
      String id = negativeIds.get(i);
      same(where, "negative " + (i + 1), "document " + id, negatives.get(i), document(dataset, id, where, "negative id"));
      if (dataset.qrels().grade(queryId == null ? "" : queryId, id) > 0) {
        throw new QuarryException(where + ": negative '" + id + "' is a judged positive of query '" + queryId + "' in "
            + dataset.dir().resolve("qrels/" + dataset.split() + ".tsv") + ".");
      }
    }
  }

  private static String id(JsonNode row, String field, String where) {
    JsonNode v = row.get(field);
    if (v == null || v.isNull()) {
      return null;
    }
    if (!v.isTextual() || v.asText().isBlank()) {
      throw new QuarryException(where + ": \"" + field + "\" must be a non-empty string.");
    }
    return v.asText();
  }

  private static String document(BeirDataset dataset, String id, String where, String field) {
    int i = dataset.corpus().indexOf(id);
    if (i < 0) {
      throw new QuarryException(where + ": unknown " + field + " '" + id + "' (not in " + dataset.dir().resolve("corpus.jsonl") + ").");
    }
    return dataset.corpus().get(i).fullText();
  }

  private static void same(String where, String column, String source, String inRow, String inDataset) {
    if (!inRow.equals(inDataset)) {
      throw new QuarryException(where + ": the " + column + " text differs from " + source + " in the dataset: the file was"
          + " mined from another corpus or another version of it; mine it again.");
    }
  }
}
