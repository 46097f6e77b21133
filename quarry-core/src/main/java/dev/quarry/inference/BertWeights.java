package dev.quarry.inference;

import dev.quarry.QuarryException;
import dev.quarry.io.Safetensors;
import dev.quarry.io.Tensor;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * A BERT encoder's weights by their Hugging Face names ({@code embeddings.word_embeddings.weight},
 * {@code encoder.layer.0.attention.self.query.weight}, ...), Linear weights as [out, in].
 */
public final class BertWeights {
  private final Map<String, Tensor> tensors;

  public BertWeights(Map<String, Tensor> tensors) {
    this.tensors = new LinkedHashMap<>(tensors);
  }

  public Map<String, Tensor> tensors() {
    return tensors;
  }

  public Tensor get(String name) {
    return tensors.get(name);
  }

  /** The names a BERT of this shape needs, in the order a transformers BertModel lists them. */
  public static List<String> requiredNames(BertConfig config) {
    List<String> names = new ArrayList<>(List.of(
        "embeddings.word_embeddings.weight", "embeddings.position_embeddings.weight",
        "embeddings.token_type_embeddings.weight", "embeddings.LayerNorm.weight", "embeddings.LayerNorm.bias"));
    for (int i = 0; i < config.numHiddenLayers(); i++) {
      String p = "encoder.layer." + i + ".";
      for (String linear : List.of("attention.self.query", "attention.self.key", "attention.self.value",
          "attention.output.dense", "intermediate.dense", "output.dense")) {
        names.add(p + linear + ".weight");
        names.add(p + linear + ".bias");
      }
      for (String ln : List.of("attention.output.LayerNorm", "output.LayerNorm")) {
        names.add(p + ln + ".weight");
        names.add(p + ln + ".bias");
      }
    }
    return names;
  }

  /** The shape each required tensor must have. */
  public static long[] expectedShape(BertConfig c, String name) {
    int h = c.hiddenSize();
    if (name.equals("embeddings.word_embeddings.weight")) {
      return new long[] {c.vocabSize(), h};
    } else if (name.equals("embeddings.position_embeddings.weight")) {
      return new long[] {c.maxPositionEmbeddings(), h};
    } else if (name.equals("embeddings.token_type_embeddings.weight")) {
      return new long[] {c.typeVocabSize(), h};
    } else if (name.endsWith("intermediate.dense.weight")) {
      return new long[] {c.intermediateSize(), h};
    } else if (name.endsWith("intermediate.dense.bias")) {
      return new long[] {c.intermediateSize()};
    } else if (name.endsWith(".output.dense.weight") && !name.contains("attention")) {
      return new long[] {h, c.intermediateSize()};
    } else if (name.endsWith(".weight") && !name.contains("LayerNorm")) {
      return new long[] {h, h};
    }
    return new long[] {h};
  }

  /** Fails, naming {@code source} and the tensor, when a required tensor is absent or misshapen. */
  public BertWeights validate(BertConfig config, Object source) {
    for (String name : requiredNames(config)) {
      Tensor t = tensors.get(name);
      if (t == null) {
        throw new QuarryException("Weight '" + name + "' is missing from " + source
            + " (config.json describes " + config.numHiddenLayers() + " layers of size " + config.hiddenSize() + ").");
      }
      long[] want = expectedShape(config, name);
      if (!Arrays.equals(want, t.shape())) {
        throw new QuarryException("Weight '" + name + "' in " + source + " has shape " + Arrays.toString(t.shape())
            + " but config.json implies " + Arrays.toString(want) + ".");
      }
    }
    return this;
  }

  /**
   * Reads a transformers {@code model.safetensors}; a {@code bert.} prefix (BertFor* heads) is
   * dropped, tensors of other heads are ignored.
   */
  public static BertWeights fromSafetensors(Path file, BertConfig config) {
    Safetensors st = Safetensors.open(file);
    Map<String, Tensor> out = new LinkedHashMap<>();
    for (Map.Entry<String, Safetensors.TensorInfo> e : st.tensors().entrySet()) {
      String name = e.getKey().startsWith("bert.") ? e.getKey().substring(5) : e.getKey();
      if (name.startsWith("embeddings.") || name.startsWith("encoder.") || name.startsWith("pooler.")) {
        if (name.endsWith("position_ids")) {
          continue; // a buffer some checkpoints carry, not a weight
        }
        out.put(name, new Tensor(e.getValue().shape(), st.readFloats(e.getKey())));
      }
    }
    return new BertWeights(out).validate(config, file);
  }

  /**
   * Reads a transformers {@code BertForSequenceClassification} checkpoint: the encoder as {@link
   * #fromSafetensors}, plus the pooler and the {@code classifier} head, checked against {@code
   * numLabels}.
   */
  public static BertWeights fromSafetensorsWithClassifier(Path file, BertConfig config, int numLabels) {
    BertWeights encoder = fromSafetensors(file, config);
    Safetensors st = Safetensors.open(file);
    Map<String, Tensor> out = new LinkedHashMap<>(encoder.tensors());
    int h = config.hiddenSize();
    Map<String, long[]> head = new LinkedHashMap<>();
    head.put("pooler.dense.weight", new long[] {h, h});
    head.put("pooler.dense.bias", new long[] {h});
    head.put("classifier.weight", new long[] {numLabels, h});
    head.put("classifier.bias", new long[] {numLabels});
    for (Map.Entry<String, long[]> e : head.entrySet()) {
      String stored = st.tensors().containsKey("bert." + e.getKey()) ? "bert." + e.getKey() : e.getKey();
      if (!st.tensors().containsKey(stored)) {
        throw new QuarryException("Weight '" + e.getKey() + "' is missing from " + file
            + ": a sequence-classification (cross-encoder) checkpoint needs the pooler and the classifier head.");
      }
      Tensor t = new Tensor(st.tensors().get(stored).shape(), st.readFloats(stored));
      if (!Arrays.equals(e.getValue(), t.shape())) {
        throw new QuarryException("Weight '" + e.getKey() + "' in " + file + " has shape " + Arrays.toString(t.shape())
            + " but config.json implies " + Arrays.toString(e.getValue()) + " (num_labels " + numLabels + ").");
      }
      out.put(e.getKey(), t);
    }
    return new BertWeights(out);
  }

  /** Reads the weights of a transformers ONNX export (see {@link OnnxWeights}). */
  public static BertWeights fromOnnx(Path file, BertConfig config) {
    return new BertWeights(OnnxWeights.read(file)).validate(config, file);
  }

  /** Random weights as transformers initialises a BERT (normal 0.02, LayerNorm 1/0): for benchmarks. */
  public static BertWeights random(BertConfig config, long seed) {
    Random rnd = new Random(seed);
    Map<String, Tensor> out = new LinkedHashMap<>();
    for (String name : requiredNames(config)) {
      long[] shape = expectedShape(config, name);
      int n = (int) Arrays.stream(shape).reduce(1, (a, b) -> a * b);
      float[] v = new float[n];
      if (name.contains("LayerNorm.weight")) {
        Arrays.fill(v, 1f);
      } else if (!name.endsWith(".bias")) {
        for (int i = 0; i < n; i++) {
          v[i] = (float) (rnd.nextGaussian() * 0.02);
        }
      }
      out.put(name, new Tensor(shape, v));
    }
    return new BertWeights(out);
  }
}
