package dev.quarry.cli;

import dev.quarry.encode.SentenceTransformer;
import dev.quarry.index.PassageIndex;
import dev.quarry.search.Reranker;
import dev.quarry.server.QuarryServer;
import dev.quarry.server.ServerConfig;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code quarry serve}: the HTTP API and search page over an indexed corpus. */
@Command(name = "serve", mixinStandardHelpOptions = true,
    description = "Serve the search API and web page over a corpus (indexed on first start, synced when corpus.jsonl changed).")
final class ServeCommand implements Callable<Integer> {
  @Mixin ModelOptions model;
  @Mixin DatasetOptions data;
  @Mixin IndexOptions index;
  @Mixin RerankOptions rerank;

  @Option(names = "--host", description = "Address to bind (default: ${DEFAULT-VALUE}).")
  String host = "127.0.0.1";

  @Option(names = {"-p", "--port"}, description = "Port (default: ${DEFAULT-VALUE}; 0 picks a free one).")
  int port = 8080;

  @Option(names = "--token", description = "Bearer token required by POST/DELETE /documents (default: $QUARRY_TOKEN, else none).")
  String token = System.getenv("QUARRY_TOKEN");

  @Option(names = "--allowed-host", split = ",", paramLabel = "NAME",
      description = "Host names clients may use besides localhost and IP addresses (others are refused, against DNS rebinding).")
  List<String> allowedHosts = new ArrayList<>();

  @Override
  public Integer call() throws InterruptedException {
    Path dir = data.folder();
    SentenceTransformer m = model.load();
    PassageIndex idx = IndexAccess.open(m, dir, index);
    Reranker reranker = rerank.open();
    QuarryServer server = QuarryServer.start(m, idx, ServerConfig.defaults().withHost(host).withPort(port).withToken(token)
        .withAllowedHosts(allowedHosts), reranker);
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      System.err.println("quarry: shutting down (finishing requests in flight, committing the index)");
      server.stop();
      if (reranker != null) {
        reranker.crossEncoder().close();
      }
      m.close();
      stopped.countDown();
    }));
    System.out.printf(Locale.ROOT, "Quarry is serving %d passages with %s%s at %s  (Ctrl-C stops)%n", idx.size(), m.folder().modelId(),
        reranker == null ? "" : ", reranking the top " + reranker.depth() + " with " + reranker.crossEncoder().folder().modelId(),
        server.url());
    System.out.printf(Locale.ROOT, "  also OpenAI %sv1/embeddings, TEI %sembed%s%n", server.url(), server.url(),
        reranker == null ? " (the rerank APIs need --rerank)" : " and /rerank, Cohere " + server.url() + "v1/rerank");
    stopped.await();
    return 0;
  }

}
