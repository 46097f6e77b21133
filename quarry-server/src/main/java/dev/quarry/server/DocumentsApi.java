package dev.quarry.server;

import static dev.quarry.server.HttpExchanges.HttpError;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpExchange;
import dev.quarry.QuarryException;
import dev.quarry.data.Document;
import dev.quarry.index.PassageIndex;
import dev.quarry.index.PassageSchema;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;

/**
 * {@code POST /documents} and {@code DELETE /documents} (or {@code /documents/{id}}), with the
 * bearer token: writes are validated whole, encoded through the embedding service, applied all or
 * nothing where the index can, serialised, and committed before they are acknowledged.
 */
final class DocumentsApi {
  private static final System.Logger LOG = System.getLogger(DocumentsApi.class.getName());

  private final PassageIndex index;
  private final ServerConfig config;
  private final ServerConfig.Limits limits;
  private final RequestChecks checks;
  private final EmbeddingService embeddings;
  private final AtomicLong errorReferences;
  private final Object writeLock = new Object();

  /** @param errorReferences the server's counter of references into its log */
  DocumentsApi(Backends backends, PassageIndex index, AtomicLong errorReferences) {
    this.index = index;
    this.config = backends.config();
    this.limits = backends.limits();
    this.checks = backends.checks();
    this.embeddings = backends.embeddings();
    this.errorReferences = errorReferences;
  }

  void register(Backends.Routes routes) {
    routes.add("/documents", "documents", p -> p.equals("/documents") || p.startsWith("/documents/") && p.length() > 11, true,
        ErrorShape.QUARRY, this::documents);
  }

  private void documents(HttpExchange ex) throws IOException {
    ApiRequests.requireToken(ex, config.token());
    String method = ex.getRequestMethod();
    if (!method.equals("POST") && !method.equals("DELETE")) {
      throw new HttpError(405, "use POST or DELETE on /documents");
    }
    String path = ex.getRequestURI().getPath(); // decoded once, by URI: "a%2Bb" is "a+b", "100%25" is "100%"
    boolean byPath = path.startsWith("/documents/");
    if (byPath) {
      checks.checkOrigin(ex.getRequestHeaders()); // no body to type
    } else {
      checks.checkWrite(ex.getRequestHeaders());
    }
    if (method.equals("POST")) {
      if (byPath) {
        throw new HttpError(405, "POST to /documents, with the ids in the body");
      }
      List<Document> list = parseDocuments(HttpExchanges.readJson(ex, limits.maxBodyBytes()).get("documents"));
      // Through the embedding service: admitted by work, chunked, and dropped if abandoned, as /encode.
      float[][] vectors = embeddings.embed(new EmbeddingService.Job(list.stream().map(Document::fullText).toList(),
          EmbeddingService.Role.DOCUMENT, null), limits.queryTimeoutMillis()).vectors();
      long size;
      synchronized (writeLock) { // one write, one commit: a commit never carries half of another request
        try {
          index.replaceAtomically(list, vectors);
          index.commit();
        } catch (RuntimeException e) {
          if (index.allOrNothing()) {
            throw e;
          }
          long ref = errorReferences.incrementAndGet();
          LOG.log(System.Logger.Level.ERROR, "write of " + list.size() + " documents failed (reference " + ref + ")", e);
          throw new HttpError(503, "the write failed part-way (reference " + ref + " in the server log): this index has no"
              + " transaction across shards, so some of its documents may be written. Writes are idempotent by id: send the same"
              + " request again").retryAfter(1);
        }
        size = index.size();
      }
      HttpExchanges.sendJson(ex, 200, Map.of("indexed", list.size(), "documents", size, "all_or_nothing", index.allOrNothing()));
    } else {
      List<String> ids = byPath ? List.of(path.substring("/documents/".length()))
          : parseIds(HttpExchanges.readJson(ex, limits.maxBodyBytes()).get("ids"));
      for (int i = 0; i < ids.size(); i++) {
        String id = ids.get(i);
        String where = byPath ? "the id in the path" : "ids[" + i + "]";
        QuarryApi.clientInput(() -> {
          PassageSchema.checkId(id);
          return null;
        }, where);
      }
      long size;
      synchronized (writeLock) {
        index.delete(ids);
        index.commit();
        size = index.size();
      }
      HttpExchanges.sendJson(ex, 200, Map.of("deleted", ids.size(), "documents", size));
    }
  }

  /** The whole request is checked before anything is encoded or written; ids are kept exactly as sent. */
  private List<Document> parseDocuments(JsonNode docs) {
    if (docs == null || !docs.isArray() || docs.isEmpty()) {
      throw new HttpError(400, "field 'documents' must be a non-empty array of {id, title, text}");
    }
    if (docs.size() > limits.maxTexts()) {
      throw new HttpError(413, "'documents' holds " + docs.size() + " entries; the limit is " + limits.maxTexts() + " per request");
    }
    List<Document> list = new ArrayList<>();
    Set<String> ids = new HashSet<>();
    long total = 0;
    for (int i = 0; i < docs.size(); i++) {
      JsonNode d = docs.get(i);
      String where = "documents[" + i + "]";
      if (!d.isObject()) {
        throw new HttpError(400, where + " must be an object {id, title, text}");
      }
      JsonNode id = d.get("id");
      JsonNode title = d.get("title");
      JsonNode text = d.get("text");
      if (id == null || !id.isTextual() || id.asText().isEmpty()) {
        throw new HttpError(400, where + ".id must be a non-empty string");
      }
      if (text == null || !text.isTextual()) {
        throw new HttpError(400, where + ".text must be a string");
      }
      if (title != null && !title.isNull() && !title.isTextual()) {
        throw new HttpError(400, where + ".title must be a string");
      }
      try {
        PassageSchema.checkId(id.asText());
      } catch (QuarryException e) {
        throw new HttpError(400, where + ".id: " + e.getMessage());
      }
      if (!ids.add(id.asText())) {
        throw new HttpError(400, where + ".id '" + id.asText() + "' appears earlier in the same request; send each id once");
      }
      String t = checkLength(title == null || title.isNull() ? "" : title.asText(), where + ".title");
      String x = checkLength(text.asText(), where + ".text");
      total += t.length() + x.length();
      list.add(new Document(id.asText(), t, x));
    }
    checkTotal(total);
    return list;
  }

  private List<String> parseIds(JsonNode arr) {
    if (arr == null || !arr.isArray() || arr.isEmpty()) {
      throw new HttpError(400, "DELETE /documents needs {\"ids\": [...]} (non-empty strings) or the id in the path");
    }
    if (arr.size() > limits.maxTexts()) {
      throw new HttpError(413, "'ids' holds " + arr.size() + " entries; the limit is " + limits.maxTexts() + " per request");
    }
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < arr.size(); i++) {
      if (!arr.get(i).isTextual() || arr.get(i).asText().isEmpty()) {
        throw new HttpError(400, "ids[" + i + "] must be a non-empty string");
      }
      ids.add(arr.get(i).asText());
    }
    return ids;
  }

  private String checkLength(String s, String field) {
    if (s.length() > limits.maxTextChars()) {
      throw new HttpError(400, field + " has " + s.length() + " characters; the limit is " + limits.maxTextChars());
    }
    return s;
  }

  private void checkTotal(long chars) {
    if (chars > limits.maxTotalChars()) {
      throw new HttpError(413, "the request holds " + chars + " characters of text; the limit is " + limits.maxTotalChars()
          + " per request: send it in several requests");
    }
  }
}
