package dev.quarry.train;

import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import dev.quarry.encode.EncodeOptions;
import dev.quarry.encode.RuntimeOptions;
import dev.quarry.encode.SentenceTransformer;
import dev.quarry.model.ModelFolder;
import dev.quarry.tokenize.TransformersTokenizerRule;
import dev.quarry.train.export.SentenceTransformerWriter;
import dev.quarry.train.network.TrainableSentenceTransformer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A safetensors-only model (as the hub holds the reference model) becomes servable by ONNX Runtime:
 * the folder is rejected with the export hint, the exported graph gives the original embeddings.
 */
class OnnxExportTest {
  @Test
  void safetensorsOnlyModelIsExportedAndServed(@TempDir Path dir) throws Exception {
    ModelFolder base = TestModels.folder(TestModels.BGE);
    Path folder = dir.resolve("bge-safetensors-only");
    try (NDManager m = NDManager.newBaseManager("PyTorch");
        TrainableSentenceTransformer model = TrainableSentenceTransformer.load(base, m)) {
      SentenceTransformerWriter.write(folder, base, model.config(), model.encoder().snapshot(), null);
    }
    // Python loads the written tokenizer files as tokenizer.json tokenizes (issue 8: a wrong
    // do_lower_case made transformers map every capitalised word to [UNK]).
    List<String> probes = TransformersTokenizerRule.PROBES;
    List<long[]> quarryIds = TransformersTokenizerRule.ids(base.tokenizerFile(), probes);
    List<long[]> pythonIds = TransformersTokenizerRule.idsAsTransformersLoads(folder, probes);
    for (int i = 0; i < probes.size(); i++) {
      org.junit.jupiter.api.Assertions.assertArrayEquals(quarryIds.get(i), pythonIds.get(i), probes.get(i));
    }
    String stConfig = Files.readString(folder.resolve("config_sentence_transformers.json"));
    assertTrue(!stConfig.contains("\"sentence_transformers\"") && stConfig.contains("\"quarry\""), stConfig);

    Files.delete(folder.resolve("onnx/model.onnx"));
    // Fine-tuning reads the safetensors directly (no graph needed)...
    ModelFolder training = ModelFolder.readForTraining(folder, "x");
    // ...and inference exports them to ONNX on first use.
    ModelFolder exported = ModelFolder.read(folder, "x", dir.resolve("cache"));
    assertTrue(exported.onnxFile().startsWith(dir.resolve("cache")), exported.onnxFile().toString());
    List<String> texts = BertEncoderParityTest.texts();
    float[][] expected = TestModels.onnx(TestModels.BGE).encode(texts, EncodeOptions.defaults()).floats();
    try (SentenceTransformer served = SentenceTransformer.load(exported, RuntimeOptions.defaults())) {
      float[][] actual = served.encode(texts, EncodeOptions.defaults()).floats();
      float diff = TestModels.maxAbsDiff(expected, actual);
      System.out.printf("exported bge-small-en-v1.5 vs original export: max abs diff %.3g%n", diff);
      assertTrue(diff <= 1e-4, "max abs diff " + diff);
    }
    assertTrue(training.onnxFile() == null);
  }
}
