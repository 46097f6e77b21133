package dev.quarry.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import dev.quarry.encode.EncodeOptions;
import dev.quarry.train.network.TrainableSentenceTransformer;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The DJL/PyTorch BERT, loaded from the ONNX exports, against ONNX Runtime on the same texts. */
@Tag("slow") // real models at size, servers, fine-tunes: left out of the fast tier (-Pfast)
class BertEncoderParityTest {
  static List<String> texts() {
    List<String> texts = new ArrayList<>(List.of(
        "What is dropout?",
        "Dropout randomly zeroes activations during training so that units cannot co-adapt.",
        "a",
        "The quick brown fox jumps over the lazy dog near the riverbank at dawn."));
    // A passage past 256 word-pieces: exercises truncation and long attention.
    texts.add("Retrieval augmented generation combines a retriever with a reader. ".repeat(40));
    return texts;
  }

  @ParameterizedTest
  @ValueSource(strings = {TestModels.MINILM, TestModels.BGE, TestModels.E5})
  void embeddingsEqualOnnxRuntime(String id) {
    List<String> texts = texts();
    float[][] expected = TestModels.onnx(id).encode(texts, EncodeOptions.defaults()).floats();
    try (NDManager m = NDManager.newBaseManager("PyTorch");
        TrainableSentenceTransformer model = TrainableSentenceTransformer.load(TestModels.folder(id), m)) {
      float[][] actual = model.encode(texts, 2, null);
      assertEquals(expected[0].length, actual[0].length);
      float diff = TestModels.maxAbsDiff(expected, actual);
      System.out.printf("%s: max |DJL - ONNX Runtime| = %.3g%n", id, diff);
      assertTrue(diff <= 1e-4, id + ": max abs diff " + diff);
    }
  }
}
