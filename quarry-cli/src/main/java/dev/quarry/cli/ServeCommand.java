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
    description = "Serve the search API and web page over your files and folders (PATH...) or a BEIR corpus (-d), indexed on first start and synced at every start.")
final class ServeCommand implements Callable<Integer> {
  @Mixin ModelOptions model;
  @Mixin DatasetOptions data;
  @Mixin IndexOptions index;
  @Mixin RerankOptions rerank;
  @Mixin DocumentOptions docs;

  @picocli.CommandLine.Parameters(arity = "0..*", paramLabel = "PATH",
      description = "Files and folders to serve (indexed and synced at start) instead of -d.")
  List<Path> paths = new ArrayList<>();

  @Option(names = "--host", description = "Address to bind (default: ${DEFAULT-VALUE}).")
  String host = "127.0.0.1";

  @Option(names = {"-p", "--port"}, description = "Port (default: ${DEFAULT-VALUE}; 0 picks a free one).")
  int port = 8080;

  @Option(names = "--token", description = "Bearer token (at least 16 characters) required by writes and the compatibility APIs, and on a"
          + " non-loopback --host by every endpoint but /health (default: $QUARRY_TOKEN, else none).")
  String token = System.getenv("QUARRY_TOKEN");

  @Option(names = "--allowed-host", split = ",", paramLabel = "NAME",
      description = "Host names clients may use besides localhost and IP addresses (others are refused, against DNS rebinding).")
  List<String> allowedHosts = new ArrayList<>();

  @Option(names = "--public-read",
      description = "On a non-loopback --host, serve /search, /encode and /metrics without the token (writes and the OpenAI, TEI"
          + " and Cohere APIs still need it).")
  boolean publicRead;

  @Option(names = "--cors-origin", split = ",", paramLabel = "ORIGIN",
      description = "Origins whose pages may call the API from the browser (e.g. https://app.example); all others are refused.")
  List<String> corsOrigins = new ArrayList<>();

  @Option(names = "--max-concurrent-requests", paramLabel = "N",
      description = "Searches, encodes and writes processed at once; more get 503 with Retry-After at once (default: ${DEFAULT-VALUE}).")
  int maxConcurrentRequests = ServerConfig.Limits.defaults().maxConcurrentRequests();

  @Option(names = "--max-queued-queries", paramLabel = "N",
      description = "Queries (and, apart, embedding requests) waiting for a micro-batch; more get 503 (default: ${DEFAULT-VALUE}).")
  int maxQueuedQueries = ServerConfig.Limits.defaults().maxQueuedQueries();

  @Override
  public Integer call() throws InterruptedException {
    if (maxConcurrentRequests < 1 || maxQueuedQueries < 1) {
      throw new picocli.CommandLine.ParameterException(new picocli.CommandLine(this),
          "--max-concurrent-requests and --max-queued-queries must be at least 1");
    }
    long t0 = System.nanoTime();
    SentenceTransformer m = model.load();
    long t1 = System.nanoTime();
    PassageIndex idx = paths.isEmpty() ? IndexAccess.open(m, data.folder(), index, docs) : IndexAccess.openFolders(m, paths, index, docs).index();
    long t2 = System.nanoTime();
    Reranker reranker = rerank.open();
    ServerConfig.Limits limits = ServerConfig.Limits.defaults();
    limits = limits.withAdmission(maxConcurrentRequests, maxQueuedQueries, limits.queryTimeoutMillis());
    QuarryServer server = QuarryServer.start(m, idx, ServerConfig.defaults().withHost(host).withPort(port).withToken(token)
        .withAllowedHosts(allowedHosts).withPublicRead(publicRead).withCorsOrigins(corsOrigins).withLimits(limits)
        .withGroupByDocument(docs.byDocument()), reranker);
    long t3 = System.nanoTime();
    // Where a start's time went, for whoever restarts a large index (its first query then reads
    // the graph from disk, which no figure here includes).
    System.err.printf(Locale.ROOT, "quarry: started in %.2f s (JVM and command line %.2f s, model %.2f s, index %.2f s, server %.2f s)%n",
        sinceProcessStart(t3), sinceProcessStart(t0), (t1 - t0) / 1e9, (t2 - t1) / 1e9, (t3 - t2) / 1e9);
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
    System.out.printf(Locale.ROOT, "Quarry is serving %d %s with %s%s at %s  (Ctrl-C stops)%n", idx.size(),
        idx.holdsChunks() ? "chunks of " + (paths.isEmpty() ? "documents" : paths) : "passages", m.folder().modelId(),
        reranker == null ? "" : ", reranking the top " + reranker.depth() + " with " + reranker.crossEncoder().folder().modelId(),
        server.url());
    System.out.printf(Locale.ROOT, "  also OpenAI %sv1/embeddings, TEI %sembed%s%n", server.url(), server.url(),
        reranker == null ? " (the rerank APIs need --rerank)" : " and /rerank, Cohere " + server.url() + "v1/rerank");
    stopped.await();
    return 0;
  }

  /** Seconds from the process's start to {@code nanoTime} (the OS's start time, to its clock tick). */
  private static double sinceProcessStart(long nanoTime) {
    long ago = System.nanoTime() - nanoTime;
    return ProcessHandle.current().info().startInstant()
        .map(start -> (System.currentTimeMillis() - start.toEpochMilli()) / 1e3 - ago / 1e9).orElse(Double.NaN);
  }
}
