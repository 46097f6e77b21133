package dev.quarry.server;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;

/**
 * What the request a handler thread is serving carries into the services it calls: whether its
 * client has gone (see {@link ClientWatch}), which work queued on its behalf captures so that a
 * batch drops the work of a client that left; and the embedding work it was admitted for.
 */
final class RequestScope {
  private static final ThreadLocal<AtomicBoolean> CLIENT_GONE = new ThreadLocal<>();
  private static final ThreadLocal<EmbeddingService.Reservation> RESERVATION = new ThreadLocal<>();

  private RequestScope() {}

  static void enter(AtomicBoolean clientGone) {
    enter(clientGone, null);
  }

  /** @param reservation the embedding work admitted from the request's declared size, or null */
  static void enter(AtomicBoolean clientGone, EmbeddingService.Reservation reservation) {
    CLIENT_GONE.set(clientGone);
    if (reservation != null) {
      RESERVATION.set(reservation);
    }
  }

  static void exit() {
    CLIENT_GONE.remove();
    RESERVATION.remove();
  }

  /** The current request's embedding reservation, or null. */
  static EmbeddingService.Reservation reservation() {
    return RESERVATION.get();
  }

  /** Whether the current request's client has gone; always false outside a request. */
  static BooleanSupplier clientGone() {
    AtomicBoolean gone = CLIENT_GONE.get();
    return gone == null ? () -> false : gone::get;
  }
}
