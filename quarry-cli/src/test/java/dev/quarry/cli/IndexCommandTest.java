package dev.quarry.cli;

import static dev.quarry.cli.QuarryCliTest.captureErr;
import static dev.quarry.cli.QuarryCliTest.captureOut;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** index, search and eval open one index and keep it in step with corpus.jsonl instead of rebuilding it. */
@Tag("slow") // real models at size, servers, fine-tunes: left out of the fast tier (-Pfast)
class IndexCommandTest {
  @Test
  void commandsOpenTheIndexAndSyncOnlyWhatChanged(@TempDir Path tmp) throws Exception {
    Path data = tmp.resolve("ai-qa");
    Files.createDirectories(data.resolve("qrels"));
    for (String f : List.of("corpus.jsonl", "queries.jsonl", "qrels/test.tsv")) {
      Files.copy(Path.of("..", "datasets", "ai-qa", f), data.resolve(f));
    }
    String index = tmp.resolve("idx").toString();
    String built = captureErr(() -> assertEquals(0, QuarryCli.run("index", "-d", data.toString(), "--index", index)));
    assertTrue(built.contains("183 added"), built);

    // Opened, not rebuilt: nothing is read or encoded for the search.
    String[] out = new String[1];
    String err = captureErr(() -> out[0] = captureOut(() -> assertEquals(0,
        QuarryCli.run("search", "-d", data.toString(), "--index", index, "--mode", "dense", "What is dropout?"))));
    assertFalse(err.contains("added"), err);
    assertTrue(out[0].contains("(dropout)"), out[0]);

    List<String> lines = new ArrayList<>(Files.readAllLines(data.resolve("corpus.jsonl")));
    lines.remove(0);
    lines.add("{\"_id\": \"new\", \"title\": \"Gradient clipping\", \"text\": \"Clipping rescales large gradients.\"}");
    Files.write(data.resolve("corpus.jsonl"), lines);
    String synced = captureErr(() -> assertEquals(0, QuarryCli.run("eval", "-d", data.toString(), "--index", index,
        "--mode", "bm25", "--skip-unknown-ids")));
    assertTrue(synced.contains("1 added, 0 changed, 182 unchanged, 1 deleted (1 encoded)"), synced);
  }

  @Test
  void indexVectorsChecksWhatEncodeRecordedBesideThem(@TempDir Path tmp) throws Exception {
    Path data = tmp.resolve("ai-qa");
    Files.createDirectories(data);
    Files.copy(Path.of("..", "datasets", "ai-qa", "corpus.jsonl"), data.resolve("corpus.jsonl"));
    String corpus = data.resolve("corpus.jsonl").toString();
    String e5 = dev.quarry.TestModels.E5;
    // e5-small-v2 prepends "passage: " to documents: vectors encoded without it do not match its queries.
    Path plain = tmp.resolve("plain.npy");
    captureErr(() -> assertEquals(0, QuarryCli.run("encode", "-m", e5, corpus, "-o", plain.toString())));
    Path sidecar = tmp.resolve("plain.npy.quarry.json");
    assertTrue(Files.exists(sidecar), "encode wrote no provenance beside the vectors");
    assertTrue(Files.readString(sidecar).contains(dev.quarry.model.ModelFingerprint.of(dev.quarry.model.ModelFolder.read(dev.quarry.TestModels.folder(e5), e5))));
    String refused = captureErr(() -> assertEquals(2, QuarryCli.run("index", "-m", e5, "-d", data.toString(), "--index",
        tmp.resolve("idx1").toString(), "--vectors", plain.toString())));
    assertTrue(refused.contains("prompt '' instead of the model's document prompt 'passage: '"), refused);
    // Another model's vectors of the same dimension are refused by fingerprint.
    Path minilm = tmp.resolve("minilm.npy");
    captureErr(() -> assertEquals(0, QuarryCli.run("encode", corpus, "-o", minilm.toString())));
    refused = captureErr(() -> assertEquals(2, QuarryCli.run("index", "-m", e5, "-d", data.toString(), "--index",
        tmp.resolve("idx2").toString(), "--vectors", minilm.toString())));
    assertTrue(refused.contains("fingerprint"), refused);
    // Encoded as the index encodes documents: taken.
    Path passages = tmp.resolve("passages.npy");
    captureErr(() -> assertEquals(0, QuarryCli.run("encode", "-m", e5, "--prompt-name", "document", corpus, "-o", passages.toString())));
    String built = captureErr(() -> assertEquals(0, QuarryCli.run("index", "-m", e5, "-d", data.toString(), "--index",
        tmp.resolve("idx3").toString(), "--vectors", passages.toString())));
    assertTrue(built.contains("183 added"), built);
    // Vectors made elsewhere (no provenance) are taken on their dimension, and the command says so.
    Files.delete(tmp.resolve("passages.npy.quarry.json"));
    String unchecked = captureErr(() -> assertEquals(0, QuarryCli.run("index", "-m", e5, "-d", data.toString(), "--index",
        tmp.resolve("idx4").toString(), "--vectors", passages.toString())));
    assertTrue(unchecked.contains("only its dimension can be checked"), unchecked);
  }
}
