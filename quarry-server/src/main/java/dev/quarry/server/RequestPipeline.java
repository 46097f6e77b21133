package dev.quarry.server;

import static dev.quarry.server.HttpExchanges.HttpError;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.util.Set;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntConsumer;
import java.util.function.Predicate;

/**
 * What every request to the server passes before and after its handler: the Host, path and
 * cross-origin checks, the token, the body read in full, the embedding reservation and the
 * admission permit, the client-gone watch, and the mapping of failures onto answers (4xx with a
 * message for what the client can fix, 500 with a reference into the log for the rest), with the
 * metrics of each. Routes are added here, by the server and by each API family.
 */
final class RequestPipeline {
  private static final System.Logger LOG = System.getLogger(RequestPipeline.class.getName());
  /** Routes whose POST body is text to embed: admitted by their work (EmbeddingService). */
  private static final Set<String> EMBEDDING_ROUTES = Set.of("encode", "documents", "openai_embeddings", "tei_embed");

  enum Access {
    /** Anyone who reaches the server: {@code /health} and the page's static files. */
    OPEN,
    /** On a non-loopback bind, only holders of the token, unless {@code --public-read}. */
    READ
  }

  private final HttpServer http;
  private final ServerConfig config;
  private final ServerConfig.Limits limits;
  private final RequestChecks checks;
  private final EmbeddingService embeddings;
  private final ServerMetrics metrics;
  /** Whether reads (search, encode, metrics) need the token: on a non-loopback bind, unless --public-read. */
  private final boolean readsNeedToken;
  private final Semaphore admission;
  private final AtomicInteger inFlight = new AtomicInteger();
  private final ClientWatch clientWatch = new ClientWatch();
  private final AtomicLong errorReferences;
  private volatile boolean stopping;

  RequestPipeline(HttpServer http, ServerConfig config, RequestChecks checks, EmbeddingService embeddings, ServerMetrics metrics,
      boolean readsNeedToken, AtomicLong errorReferences) {
    this.http = http;
    this.config = config;
    this.limits = config.limits();
    this.checks = checks;
    this.embeddings = embeddings;
    this.metrics = metrics;
    this.readsNeedToken = readsNeedToken;
    this.admission = new Semaphore(limits.maxConcurrentRequests());
    this.errorReferences = errorReferences;
  }

  /** New requests are refused from now on (503); those in flight finish. */
  void stopAdmitting() {
    stopping = true;
  }

  boolean stopping() {
    return stopping;
  }

  int inFlight() {
    return inFlight.get();
  }

  int admissionsAvailable() {
    return admission.availablePermits();
  }

  /** Stops watching client connections (at shutdown). */
  void closeWatch() {
    clientWatch.close();
  }

  /**
   * @param exact which paths the route serves (the JDK matches contexts by prefix, so {@code
   *     /searchX} would otherwise reach {@code /search})
   * @param admitted whether the request counts against {@code maxConcurrentRequests}; health,
   *     metrics and the page do not, so they answer under overload
   */
  void route(String path, String name, Predicate<String> exact, boolean admitted, Backends.Endpoint handler) {
    route(path, name, exact, admitted, Access.READ, ErrorShape.QUARRY, handler);
  }

  /** A route of a compatibility API, with errors laid out as its clients expect them. */
  void route(String path, String name, Predicate<String> exact, boolean admitted, ErrorShape shape,
      Backends.Endpoint handler) {
    route(path, name, exact, admitted, Access.READ, shape, handler);
  }

  /**
   * Every request passes, in this order: the Host and path checks, the cross-origin check (a CORS
   * preflight is answered here), the token where the route needs it, the JSON content type of a
   * POST, the whole body read (bounded in size, and in time by the JDK's request limit), and only
   * then admission, so that a slow or refused client never holds a permit. Faults the client can
   * fix get 4xx with a message; anything else is the server's, answered 500 with a reference into
   * the log and no internals.
   */
  void route(String path, String name, Predicate<String> exact, boolean admitted, Access access, ErrorShape shape,
      Backends.Endpoint handler) {
    http.createContext(path, ex -> {
      inFlight.incrementAndGet();
      long start = System.nanoTime();
      boolean[] recorded = {false};
      boolean[] admittedNow = {false};
      EmbeddingService.Reservation[] reserved = {null};
      // Just before the answer leaves: the request's work is done, so its permit and reservation go
      // back now, not after the client (which may send its next request at once) has the answer.
      IntConsumer record = status -> {
        if (!recorded[0]) {
          recorded[0] = true;
          metrics.record(name, status, System.nanoTime() - start);
        }
        release(admittedNow, reserved);
      };
      ex.setAttribute(HttpExchanges.BEFORE_RESPONSE, record);
      try {
        checks.checkHost(ex.getRequestHeaders());
        if (!exact.test(ex.getRequestURI().getPath())) {
          throw new HttpError(404, "no such endpoint: " + ex.getRequestURI().getPath());
        }
        boolean corsAllowed = checks.checkCrossOrigin(ex.getRequestHeaders(), ex.getResponseHeaders());
        String method = ex.getRequestMethod();
        if (method.equals("OPTIONS")) {
          if (corsAllowed) {
            checks.preflight(ex.getRequestHeaders(), ex.getResponseHeaders());
          }
          ex.getResponseHeaders().set("Allow", RequestChecks.ALLOWED_METHODS + ", OPTIONS");
          HttpExchanges.send(ex, 204, "text/plain; charset=utf-8", new byte[0]);
          return;
        }
        if (stopping) {
          throw new HttpError(503, "the server is shutting down");
        }
        if (access == Access.READ && readsNeedToken) {
          ApiRequests.requireToken(ex, config.token());
        }
        if (method.equals("POST")) {
          checks.checkJson(ex.getRequestHeaders());
        }
        long declared = HttpExchanges.declaredLength(ex);
        if (method.equals("POST") && EMBEDDING_ROUTES.contains(name) && declared > 0 && declared <= limits.maxBodyBytes()) {
          // Admitted by its declared size before the body is read: of a burst of such requests only
          // those that fit are read and parsed, the others are refused from their headers.
          try {
            reserved[0] = embeddings.reserve(declared, limits.queryTimeoutMillis());
          } catch (HttpError refused) {
            HttpExchanges.discardBody(ex);
            throw refused;
          }
        }
        if (method.equals("POST") || method.equals("DELETE")) {
          HttpExchanges.readBody(ex, limits.maxBodyBytes());
        }
        if (admitted) {
          if (!admission.tryAcquire()) {
            throw new HttpError(503, "the server is at its limit of " + limits.maxConcurrentRequests()
                + " requests at once; retry shortly").retryAfter(1);
          }
          admittedNow[0] = true;
          // Work done for this request is dropped if its client closes the connection meanwhile.
          AtomicBoolean gone = new AtomicBoolean();
          AutoCloseable watch = clientWatch.watch(ex.getLocalAddress(), ex.getRemoteAddress(), () -> gone.set(true));
          RequestScope.enter(gone, reserved[0]);
          try {
            handler.handle(ex);
          } finally {
            RequestScope.exit();
            closeQuietly(watch);
          }
        } else {
          handler.handle(ex);
        }
      } catch (HttpError e) {
        HttpExchanges.sendError(ex, e, shape);
      } catch (IOException e) {
        // The client went away or was cut off by a time limit mid-request: nobody to answer.
        LOG.log(System.Logger.Level.DEBUG, "connection failed: " + e);
      } catch (Throwable e) {
        // QuarryException too: client input is checked and refused as HttpError before any work,
        // so one that arrives here came from the environment (a failed commit, ONNX Runtime) and
        // its message may name server paths. Logged, answered with a reference only.
        long ref = errorReferences.incrementAndGet();
        LOG.log(System.Logger.Level.ERROR, "request " + ex.getRequestMethod() + " " + ex.getRequestURI().getPath()
            + " failed (reference " + ref + ")", e);
        sendQuietly(ex, 500, "internal error (reference " + ref + " in the server log)", shape);
      } finally {
        release(admittedNow, reserved);
        record.accept(ex.getResponseCode() > 0 ? ex.getResponseCode() : 500);
        ex.close();
        inFlight.decrementAndGet();
      }
    });
  }

  /** Gives back a request's admission permit and embedding reservation, once. */
  private void release(boolean[] admittedNow, EmbeddingService.Reservation[] reserved) {
    if (admittedNow[0]) {
      admittedNow[0] = false;
      admission.release();
    }
    if (reserved[0] != null) {
      reserved[0].close();
    }
  }

  private static void closeQuietly(AutoCloseable c) {
    try {
      c.close();
    } catch (Exception ignored) {
      // removing a watch cannot fail
    }
  }

  private static void sendQuietly(HttpExchange ex, int status, String message, ErrorShape shape) {
    try {
      if (ex.getResponseCode() < 0) { // nothing sent yet
        HttpExchanges.sendError(ex, status, message, shape);
      }
    } catch (IOException | RuntimeException ignored) {
      // the client is gone; the log has the failure
    }
  }
}
