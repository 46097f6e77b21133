package dev.quarry.model;

import static dev.quarry.model.ModelErrorsTest.assertMessage;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import dev.quarry.TestModels;
import dev.quarry.encode.EncodeOptions;
import dev.quarry.encode.RuntimeOptions;
import dev.quarry.encode.SentenceTransformer;
import dev.quarry.modules.ModuleType;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A Router model (sentence-transformers' {@code Router.for_query_document}) built from two built-in
 * models, laid out as {@code Router.save} writes it: queries take bge-small-en-v1.5's route,
 * documents all-MiniLM-L6-v2's.
 */
class RouterModelTest {
  private static final List<String> QUERIES = List.of("How does dropout regularise a network?", "what is BM25");
  private static final List<String> PASSAGES = List.of("Dropout randomly zeroes activations during training.",
      "BM25 ranks documents by term frequency and inverse document frequency.");

  @TempDir Path tmp;

  /** Writes a Router folder; {@code parameters} is router_config.json's "parameters" object. */
  static Path routerFolder(Path dir, String parameters, String afterRouter) {
    try {
      Files.createDirectories(dir);
      StringBuilder types = new StringBuilder();
      StringBuilder structure = new StringBuilder();
      for (String[] route : new String[][] {{"query", TestModels.BGE}, {"document", TestModels.MINILM}}) {
        Path src = TestModels.folder(route[1]);
        String t = route[0] + "_0_Transformer";
        String p = route[0] + "_1_Pooling";
        String n = route[0] + "_2_Normalize";
        Files.createDirectories(dir.resolve(t).resolve("onnx"));
        for (String f : List.of("config.json", "tokenizer.json", "sentence_bert_config.json")) {
          Files.copy(src.resolve(f), dir.resolve(t).resolve(f));
        }
        Files.createSymbolicLink(dir.resolve(t).resolve("onnx/model.onnx"), src.resolve("onnx/model.onnx"));
        Files.createDirectories(dir.resolve(p));
        Files.copy(src.resolve("1_Pooling/config.json"), dir.resolve(p).resolve("config.json"));
        Files.createDirectories(dir.resolve(n));
        types.append(types.length() > 0 ? ", " : "").append(String.format("\"%s\": \"%s\", \"%s\": \"%s\", \"%s\": \"%s\"",
            t, ModuleType.TRANSFORMER.paths().get(1), p, ModuleType.POOLING.paths().get(1), n, ModuleType.NORMALIZE.paths().get(2)));
        structure.append(structure.length() > 0 ? ", " : "").append(String.format("\"%s\": [\"%s\", \"%s\", \"%s\"]", route[0], t, p, n));
      }
      TestModels.write(dir.resolve("router_config.json"), "{\"types\": {" + types + "}, \"structure\": {" + structure
          + "}, \"parameters\": " + parameters + "}");
      TestModels.write(dir.resolve("modules.json"), "[{\"idx\": 0, \"name\": \"0\", \"path\": \"\", \"type\": \""
          + ModuleType.ROUTER.paths().get(1) + "\"}" + afterRouter + "]");
      TestModels.write(dir.resolve("config_sentence_transformers.json"), "{\"model_type\": \"SentenceTransformer\","
          + " \"prompts\": {\"query\": \"\", \"document\": \"\"}, \"default_prompt_name\": null, \"similarity_fn_name\": \"cosine\"}");
      return dir;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Test
  void queriesAndDocumentsTakeTheirOwnRoutes() {
    Path dir = routerFolder(tmp.resolve("router"), "{\"default_route\": \"document\", \"allow_empty_key\": true, \"route_mappings\": {}}", "");
    ModelFolder folder = ModelFolder.read(dir, "router");
    assertEquals(List.of("query", "document"), List.copyOf(folder.routes().byName().keySet()));
    assertEquals(384, folder.dimension());
    EncodeOptions noPrompt = EncodeOptions.defaults().withPrompt("");
    try (SentenceTransformer router = SentenceTransformer.load(folder, RuntimeOptions.defaults())) {
      float[][] bgeQueries = TestModels.model(TestModels.BGE).encode(QUERIES, noPrompt).floats();
      float[][] miniLmPassages = TestModels.model(TestModels.MINILM).encode(PASSAGES, noPrompt).floats();
      assertArrayEquals(bgeQueries, router.encodeQueries(QUERIES, noPrompt));
      assertArrayEquals(miniLmPassages, router.encodeDocuments(PASSAGES, noPrompt));
      // encode without a task takes the default route, as Router._resolve_route does.
      assertArrayEquals(miniLmPassages, router.encode(PASSAGES, noPrompt).floats());
      assertArrayEquals(bgeQueries, router.encode("query", QUERIES, noPrompt).floats());
      assertNotEquals(ModelFingerprint.of(folder), ModelFingerprint.of(ModelFolder.read(TestModels.folder(TestModels.MINILM), "m")));
      assertMessage(() -> router.encode("classification", QUERIES, noPrompt), "no route for task 'classification'", "query",
          "document");
    }
  }

  @Test
  void routeMappingsAndModulesAfterTheRouter() {
    // A mapping sends every text task to the query route; a Normalize after the Router applies to both routes.
    Path dir = routerFolder(tmp.resolve("mapped"), "{\"default_route\": null, \"allow_empty_key\": true, \"route_mappings\":"
        + " {\"('document', 'text')\": \"query\"}}", ", {\"idx\": 1, \"name\": \"1\", \"path\": \"1_Normalize\", \"type\": \""
        + ModuleType.NORMALIZE.paths().get(2) + "\"}");
    ModelFolder folder = ModelFolder.read(dir, "mapped");
    assertEquals("query", folder.routes().defaultRoute()); // allow_empty_key: the first route
    assertEquals("query", folder.routes().resolve("document"));
    assertEquals(2, folder.routes().byName().get("document").sentenceModules().size());
    EncodeOptions noPrompt = EncodeOptions.defaults().withPrompt("");
    try (SentenceTransformer router = SentenceTransformer.load(folder, RuntimeOptions.defaults())) {
      assertArrayEquals(TestModels.model(TestModels.BGE).encode(PASSAGES, noPrompt).floats(), router.encodeDocuments(PASSAGES, noPrompt));
    }
  }

  @Test
  void withoutADefaultRouteATextNeedsATask() {
    Path dir = routerFolder(tmp.resolve("nodefault"), "{\"default_route\": null, \"allow_empty_key\": false}", "");
    try (SentenceTransformer router = SentenceTransformer.load(ModelFolder.read(dir, "r"), RuntimeOptions.defaults())) {
      assertMessage(() -> router.encode(PASSAGES), "no default route", "encodeQueries", "encodeDocuments");
      assertEquals(2, router.encodeQueries(QUERIES, EncodeOptions.defaults()).length);
    }
    Path badDefault = routerFolder(tmp.resolve("baddefault"), "{\"default_route\": \"passage\"}", "");
    assertMessage(() -> ModelFolder.read(badDefault, "r"), "default_route 'passage'", "router_config.json");
    Path afterRouter = routerFolder(tmp.resolve("after"), "{}", ", {\"idx\": 1, \"name\": \"1\", \"path\": \"1_Pooling\", \"type\": \""
        + ModuleType.POOLING.paths().get(0) + "\"}");
    assertMessage(() -> ModelFolder.read(afterRouter, "r"), "follows a Router", "entry 1");
  }
}
