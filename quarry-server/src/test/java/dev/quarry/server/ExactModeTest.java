package dev.quarry.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The server's exact mode: bounded by index size, and scanning without copying the index per query. */
@Tag("slow") // real models at size, servers, fine-tunes: left out of the fast tier (-Pfast)
class ExactModeTest {
  @TempDir Path tmp;

  @Test
  void heapStaysFlatOverAThousandExactQueries() throws Exception {
    try (ServerFixture f = new ServerFixture(tmp.resolve("index"))) {
      MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
      for (int i = 0; i < 50; i++) { // warm-up: JIT, caches, the micro-batcher
        f.post("/search", "{\"query\": \"warm up " + i + "\", \"k\": 10, \"mode\": \"exact\"}", null);
      }
      long before = usedAfterGc(memory);
      for (int i = 0; i < 1000; i++) {
        HttpResponse<String> r = f.post("/search", "{\"query\": \"What is dropout? " + (i % 7) + "\", \"k\": 10, \"mode\": \"exact\"}", null);
        assertEquals(200, r.statusCode(), r.body());
      }
      long after = usedAfterGc(memory);
      System.out.printf("heap used after GC: %.1f MB before, %.1f MB after 1000 exact queries%n", before / 1e6, after / 1e6);
      assertTrue(after - before < 8_000_000, "heap grew by " + (after - before) + " bytes");
    }
  }

  @Test
  void exactModeIsRefusedOverTheConfiguredSize() throws Exception {
    try (ServerFixture f = new ServerFixture(tmp.resolve("index"), ServerConfig.defaults().withLimits(ServerConfig.Limits.defaults().withMaxExactDocuments(100)))) {
      HttpResponse<String> r = f.post("/search", "{\"query\": \"What is dropout?\", \"mode\": \"exact\"}", null);
      assertEquals(400, r.statusCode());
      assertTrue(r.body().contains("limited to 100 documents") && r.body().contains("dense"), r.body());
      assertEquals(200, f.post("/search", "{\"query\": \"What is dropout?\", \"mode\": \"dense\"}", null).statusCode());
    }
  }

  private static long usedAfterGc(MemoryMXBean memory) throws InterruptedException {
    for (int i = 0; i < 3; i++) {
      System.gc();
      Thread.sleep(50);
    }
    return memory.getHeapMemoryUsage().getUsed();
  }
}
