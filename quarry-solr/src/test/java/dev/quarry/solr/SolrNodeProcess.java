package dev.quarry.solr;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.apache.solr.embedded.JettyConfig;
import org.apache.solr.embedded.JettySolrRunner;

/**
 * A SolrCloud node in a JVM of its own, joined to a test cluster's ZooKeeper, so that a test can
 * crash it for real: {@link #kill()} sends SIGKILL, and nothing in the node runs afterwards (no
 * core closes, no "down" published, no leadership handed over). The other nodes learn of it only
 * when ZooKeeper expires its session, as they would after a power cut.
 */
final class SolrNodeProcess {
  private static final String READY = "QUARRY-SOLR-NODE ";

  private final Process process;
  final String nodeName;

  private SolrNodeProcess(Process process, String nodeName) {
    this.process = process;
    this.nodeName = nodeName;
  }

  /** A free port on 127.0.0.1, kept by the caller so that a restarted node has the same name. */
  static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  /** Starts a node with its cores under {@code home} on {@code port}; returns once it serves. */
  static SolrNodeProcess start(String zkAddress, Path home, int port) throws Exception {
    Files.createDirectories(home);
    Path log = home.resolveSibling(home.getFileName() + "-" + System.nanoTime() + ".log");
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    Process p = new ProcessBuilder(List.of(java, "-Xmx512m", "-Dsolr.log.dir=" + home.resolveSibling("logs"), "-cp",
        System.getProperty("java.class.path"), SolrNodeProcess.class.getName(), zkAddress, home.toString(), Integer.toString(port)))
        .redirectErrorStream(true).redirectOutput(log.toFile()).start();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
    while (System.nanoTime() < deadline) {
      if (!p.isAlive()) {
        throw new IllegalStateException("the Solr node process exited with " + p.exitValue() + "; see " + log);
      }
      for (String line : Files.readAllLines(log)) {
        if (line.startsWith(READY)) {
          return new SolrNodeProcess(p, line.substring(READY.length()).trim());
        }
      }
      Thread.sleep(200);
    }
    p.destroyForcibly();
    throw new IllegalStateException("the Solr node did not start within 120 s; see " + log);
  }

  /** SIGKILL, and waits until the process is gone; returns its exit status (137 for SIGKILL). */
  int kill() throws InterruptedException {
    process.destroyForcibly(); // on Linux: SIGKILL
    return process.waitFor();
  }

  boolean isAlive() {
    return process.isAlive();
  }

  /** The node: {@code zkAddress home port}. Prints its node name once it serves, then waits to be killed. */
  public static void main(String[] args) throws Exception {
    Properties props = new Properties();
    props.setProperty("zkHost", args[0]); // solr.xml comes from ZooKeeper, as for the cluster's own nodes
    JettySolrRunner jetty = new JettySolrRunner(args[1], props,
        JettyConfig.builder().setContext("/solr").setPort(Integer.parseInt(args[2])).build());
    jetty.start();
    System.out.println(READY + jetty.getNodeName());
    System.out.flush();
    Thread.currentThread().join();
  }
}
