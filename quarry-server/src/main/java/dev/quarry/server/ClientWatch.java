package dev.quarry.server;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Notices when the client of a request still computing has closed its connection, so that its
 * work is dropped instead of finished for nobody.
 *
 * <p>The JDK's HTTP server does not read a connection while its exchange is being handled, so it
 * never sees the client's FIN. The kernel does: on Linux, {@code /proc/net/tcp} and {@code tcp6}
 * list every socket with its state, and a connection whose peer has closed sits in {@code
 * CLOSE_WAIT} (or is gone, after a reset). A daemon thread reads those tables every {@link
 * #PERIOD_MILLIS} while requests are watched (one read for all of them) and tells each request
 * whose connection is closed or gone. Elsewhere (no {@code /proc}) nothing is noticed and work is
 * dropped at its deadline. A client that half-closes its side after sending (rare; HTTP/1.1 clients
 * do not) would be taken for gone.
 */
final class ClientWatch implements AutoCloseable {
  static final long PERIOD_MILLIS = 200;
  private static final List<Path> TABLES = List.of(Path.of("/proc/net/tcp"), Path.of("/proc/net/tcp6"));
  /** TCP states (include/net/tcp_states.h) in which the peer has closed: CLOSE_WAIT, LAST_ACK, CLOSE. */
  private static final Set<String> PEER_CLOSED = Set.of("08", "09", "07");

  /** What is watched: the connection's ports, and whom to tell. */
  private record Watched(String ports, Runnable onGone) {}

  private final Map<Object, Watched> watched = new ConcurrentHashMap<>();
  private final boolean available = Files.isReadable(TABLES.get(0));
  private final Thread thread;
  private volatile boolean closed;

  ClientWatch() {
    thread = new Thread(this::loop, "quarry-client-watch");
    thread.setDaemon(true);
    if (available) {
      thread.start();
    }
  }

  /** Whether closed connections can be noticed here (Linux). */
  boolean available() {
    return available;
  }

  /**
   * Tells {@code onGone} (once, from the watch thread) if the connection between {@code local} and
   * {@code remote} is closed by the client before the returned handle is closed.
   */
  AutoCloseable watch(InetSocketAddress local, InetSocketAddress remote, Runnable onGone) {
    if (!available || local == null || remote == null) {
      return () -> {};
    }
    Object key = new Object();
    watched.put(key, new Watched(ports(local.getPort(), remote.getPort()), onGone));
    return () -> watched.remove(key);
  }

  private static String ports(int local, int remote) {
    return local + ":" + remote;
  }

  private void loop() {
    while (!closed) {
      try {
        Thread.sleep(PERIOD_MILLIS);
      } catch (InterruptedException e) {
        return;
      }
      if (watched.isEmpty()) {
        continue;
      }
      Set<String> open = openConnections();
      if (open == null) {
        continue;
      }
      watched.forEach((key, w) -> {
        if (!open.contains(w.ports()) && watched.remove(key) != null) {
          w.onGone().run();
        }
      });
    }
  }

  /** "localPort:remotePort" of every connection whose peer has not closed, or null if unreadable. */
  private static Set<String> openConnections() {
    Set<String> open = new HashSet<>();
    for (Path table : TABLES) {
      List<String> lines;
      try {
        lines = Files.readAllLines(table, StandardCharsets.US_ASCII);
      } catch (IOException e) {
        if (table == TABLES.get(0)) {
          return null;
        }
        continue; // no IPv6
      }
      for (int i = 1; i < lines.size(); i++) {
        // "  sl  local_address rem_address   st ...": addresses are HEXIP:HEXPORT.
        String[] f = lines.get(i).trim().split("\\s+");
        if (f.length < 4 || PEER_CLOSED.contains(f[3])) {
          continue;
        }
        int local = Integer.parseInt(f[1].substring(f[1].indexOf(':') + 1), 16);
        int remote = Integer.parseInt(f[2].substring(f[2].indexOf(':') + 1), 16);
        open.add(ports(local, remote));
      }
    }
    return open;
  }

  @Override
  public void close() {
    closed = true;
    thread.interrupt();
  }
}
