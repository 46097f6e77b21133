package dev.quarry.server;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;

/**
 * What the request a handler thread is serving knows about its client: whether it has gone (see
 * {@link ClientWatch}). Work queued on the request's behalf captures it, so that a batch drops the
 * work of a client that left.
 */
final class RequestScope {
  private static final ThreadLocal<AtomicBoolean> CLIENT_GONE = new ThreadLocal<>();

  private RequestScope() {}

  static void enter(AtomicBoolean clientGone) {
    CLIENT_GONE.set(clientGone);
  }

  static void exit() {
    CLIENT_GONE.remove();
  }

  /** Whether the current request's client has gone; always false outside a request. */
  static BooleanSupplier clientGone() {
    AtomicBoolean gone = CLIENT_GONE.get();
    return gone == null ? () -> false : gone::get;
  }
}
