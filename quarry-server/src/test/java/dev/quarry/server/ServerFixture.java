package dev.quarry.server;

import com.fasterxml.jackson.databind.JsonNode;
import dev.quarry.encode.RuntimeOptions;
import dev.quarry.encode.SentenceTransformer;
import dev.quarry.index.CorpusIndexer;
import dev.quarry.index.IndexSettings;
import dev.quarry.index.lucene.LuceneIndex;
import dev.quarry.io.Json;
import dev.quarry.model.BuiltinModels;
import dev.quarry.model.ModelFolder;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;

/** A real server: the default model over the bundled AI QA corpus, on a free port of 127.0.0.1. */
final class ServerFixture implements AutoCloseable {
  static final String MINILM = "sentence-transformers/all-MiniLM-L6-v2";
  static final String TOKEN = "s3cret-test-token-0123";
  private static SentenceTransformer model;

  final Path indexDir;
  final LuceneIndex index;
  final QuarryServer server;
  final HttpClient http = HttpClient.newHttpClient();

  static synchronized SentenceTransformer model() {
    if (model == null) {
      Path cache = Path.of("target", "quarry-home").toAbsolutePath();
      model = SentenceTransformer.load(ModelFolder.read(BuiltinModels.materialize(MINILM, cache), MINILM), RuntimeOptions.defaults());
    }
    return model;
  }

  ServerFixture(Path indexDir, ServerConfig config) {
    this(indexDir, config, null);
  }

  ServerFixture(Path indexDir, ServerConfig config, dev.quarry.search.Reranker reranker) {
    this(indexDir, config, reranker, model(), Path.of("..", "datasets", "ai-qa", "corpus.jsonl"));
  }

  /** Another model over another corpus (a small one keeps a second model's indexing short). */
  ServerFixture(Path indexDir, ServerConfig config, dev.quarry.search.Reranker reranker, SentenceTransformer served, Path corpus) {
    this.indexDir = indexDir;
    this.index = CorpusIndexer.openSynced(LuceneIndex.at(indexDir), served, corpus, IndexSettings.defaults());
    this.server = QuarryServer.start(served, index, config.withPort(0), reranker);
  }

  /** A server over an index opened (and filled) by the caller. */
  ServerFixture(LuceneIndex index, Path indexDir, ServerConfig config) {
    this.indexDir = indexDir;
    this.index = index;
    this.server = QuarryServer.start(model(), index, config.withPort(0), null);
  }

  ServerFixture(Path indexDir) {
    this(indexDir, ServerConfig.defaults().withToken(TOKEN));
  }

  HttpResponse<String> post(String path, String json, String token) throws IOException, InterruptedException {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(server.url() + path.substring(1)))
        .POST(HttpRequest.BodyPublishers.ofString(json)).header("Content-Type", "application/json");
    if (token != null) {
      b.header("Authorization", "Bearer " + token);
    }
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  HttpResponse<String> get(String path) throws IOException, InterruptedException {
    return get(path, null);
  }

  HttpResponse<String> get(String path, String token) throws IOException, InterruptedException {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(server.url() + path.substring(1))).GET();
    if (token != null) {
      b.header("Authorization", "Bearer " + token);
    }
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  HttpResponse<String> delete(String path, String token) throws IOException, InterruptedException {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(server.url() + path.substring(1))).DELETE();
    if (token != null) {
      b.header("Authorization", "Bearer " + token);
    }
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  static JsonNode json(HttpResponse<String> r) throws IOException {
    return Json.reader().readTree(r.body());
  }

  @Override
  public void close() {
    server.stop();
  }
}
