package dev.quarry.train.bert;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.GradientCollector;
import dev.quarry.model.ModelFolder;
import dev.quarry.similarity.SimilarityFunction;
import dev.quarry.train.TestModels;
import dev.quarry.train.loss.MultipleNegativesRankingLoss;
import dev.quarry.train.network.TrainableSentenceTransformer;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The regression test for the intermittent NaN losses of fine-tuning (issue 8), made
 * deterministic.
 *
 * <p>The cause: DJL's PyTorch engine makes an NDArray from Java data with {@code torch::from_blob}
 * over a direct ByteBuffer that only the Java side keeps alive, while autograd may still read it in
 * the backward pass: the token ids of the embedding lookups (the gradient is a scatter by them),
 * and the scalar operands that {@code mul}/{@code div}/{@code maximum} save (dropout's 1/(1-p), the
 * cosine normalisation's eps, the tanh GELU's constants, the loss scale). When the garbage collector
 * freed such a buffer between forward and backward, its memory was reused and read back wrong.
 *
 * <p>Instead of hoping for a collection at the right time, the test overwrites exactly the bytes
 * that each borrowed buffer held ({@link NativeArrays#borrowed}) after the forward pass and before
 * backward. A pass so disturbed must give bit-identical gradients to an undisturbed one with the
 * same dropout seed. The first test shows that the disturbance is real: an array DJL made over such
 * a buffer does change when its bytes do.
 */
@Tag("slow") // real models at size, servers, fine-tunes: left out of the fast tier (-Pfast)
class NativeMemoryLifetimeTest {
  private static final List<String> ANCHORS = List.of("What does dropout do?", "Why warm up the learning rate?",
      "What is a tokenizer?", "How does attention work?");
  private static final List<String> POSITIVES = List.of(
      "Dropout zeroes random activations during training so that units cannot co-adapt.",
      "Warm-up raises the learning rate from zero over the first steps, which stabilises early training.",
      "A tokenizer splits text into word pieces and maps them to ids from a vocabulary.",
      "Attention weighs every token by the softmax of its query's dot product with the other tokens' keys.");

  @TempDir Path tmp;

  @Test
  void overwritingABorrowedBufferChangesTheArrayDjlMadeOverIt() {
    try (NDManager m = NDManager.newBaseManager("PyTorch")) {
      ByteBuffer b = ByteBuffer.allocateDirect(4 * Long.BYTES).order(ByteOrder.nativeOrder());
      b.asLongBuffer().put(new long[] {101, 2054, 2003, 102});
      try (NDArray view = m.create(b, new Shape(4), DataType.INT64)) {
        overwrite(b);
        assertEquals(1L, view.toLongArray()[0], "DJL copied the buffer: the disturbance below would prove nothing");
      }
    }
  }

  @Test
  void dropoutCosineAndTheExactGeluGiveTheSameGradientsWhateverHappensToBorrowedMemory() throws Exception {
    check(TestModels.folder(TestModels.MINILM));
  }

  @Test
  void theTanhGeluScalarsAreOwnedToo() throws Exception {
    // The same weights with the tanh approximation, whose constants are scalar operands.
    Path copy = dev.quarry.TestModels.copyOf(TestModels.MINILM, tmp.resolve("gelu-new"), dir -> {
      try {
        Path config = dir.resolve("config.json");
        Files.writeString(config, Files.readString(config).replaceAll("\"hidden_act\"\\s*:\\s*\"gelu\"", "\"hidden_act\": \"gelu_new\""));
      } catch (java.io.IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    });
    assertTrue(Files.readString(copy.resolve("config.json")).contains("gelu_new"), "the copy still says gelu");
    check(ModelFolder.read(copy, "gelu-new"));
  }

  private static void check(ModelFolder folder) throws Exception {
    try (NDManager m = NDManager.newBaseManager("PyTorch");
        TrainableSentenceTransformer model = TrainableSentenceTransformer.load(folder, m)) {
      model.encoder().setRequiresGradient(true);
      List<ByteBuffer> borrowed = new ArrayList<>();
      Map<String, float[]> undisturbed = gradients(model, null);
      Map<String, float[]> disturbed = gradients(model, borrowed);
      long scalars = borrowed.stream().filter(b -> b.capacity() == Float.BYTES).count();
      long idBuffers = borrowed.stream().filter(b -> b.capacity() >= 4 * Long.BYTES).count();
      System.out.printf("%s: %d borrowed buffers overwritten between forward and backward (%d scalars, %d id/type/mask arrays)%n",
          folder.modelId(), borrowed.size(), scalars, idBuffers);
      // Ids, types and masks of both embed calls; dropout scalars in each of 6 layers; the loss's scale and eps.
      assertTrue(idBuffers >= 6 && scalars >= 6 * 3, "the disturbance missed the buffers it is meant to hit: " + borrowed.size());
      long compared = 0;
      for (Map.Entry<String, float[]> e : undisturbed.entrySet()) {
        float[] a = e.getValue();
        float[] b = disturbed.get(e.getKey());
        for (int i = 0; i < a.length; i++) {
          assertTrue(Float.isFinite(a[i]), "undisturbed gradient of " + e.getKey() + " is " + a[i]);
          if (Float.floatToRawIntBits(a[i]) != Float.floatToRawIntBits(b[i])) {
            throw new AssertionError("gradient of " + e.getKey() + "[" + i + "] is " + b[i] + " after its inputs' memory was"
                + " overwritten, " + a[i] + " without");
          }
        }
        compared += a.length;
      }
      assertTrue(compared > 1_000_000, "compared only " + compared + " gradient values");
    }
  }

  /**
   * One training-mode forward/backward pass (dropout on, seed fixed) with the cosine MNRL loss; with
   * {@code overwritten} non-null, every buffer libtorch borrowed is overwritten before backward.
   */
  private static Map<String, float[]> gradients(TrainableSentenceTransformer model, List<ByteBuffer> overwritten) throws Exception {
    MultipleNegativesRankingLoss loss = new MultipleNegativesRankingLoss(20, SimilarityFunction.COSINE);
    JniUtils.setSeed(42);
    if (overwritten != null) {
      NativeArrays.borrowed = overwritten::add;
    }
    try (NDManager sm = NDManager.newBaseManager("PyTorch");
        GradientCollector collector = Engine.getEngine("PyTorch").newGradientCollector()) {
      NDArray a = model.embed(sm, ANCHORS, true);
      NDArray c = model.embed(sm, POSITIVES, true);
      NDArray l = loss.compute(a, c);
      NativeArrays.borrowed = null;
      if (overwritten != null) {
        overwritten.forEach(NativeMemoryLifetimeTest::overwrite);
      }
      collector.backward(l);
    } finally {
      NativeArrays.borrowed = null;
    }
    Map<String, float[]> out = new LinkedHashMap<>();
    for (Map.Entry<String, NDArray> e : model.encoder().parameters().entrySet()) {
      try (NDArray g = e.getValue().getGradient()) {
        out.put(e.getKey(), g.toFloatArray());
        g.muli(0f);
      }
    }
    return out;
  }

  /**
   * Writes what reused memory might hold, but nothing that could crash libtorch if read: token,
   * type and mask ids become 1 (valid in every one of those tables), floats become 3.
   */
  private static void overwrite(ByteBuffer b) {
    ByteBuffer w = b.duplicate().order(ByteOrder.nativeOrder());
    w.clear();
    if (w.capacity() % Long.BYTES == 0 && w.capacity() != Float.BYTES) {
      while (w.remaining() >= Long.BYTES) {
        w.putLong(1L);
      }
    } else {
      while (w.remaining() >= Float.BYTES) {
        w.putFloat(3f);
      }
    }
  }
}
