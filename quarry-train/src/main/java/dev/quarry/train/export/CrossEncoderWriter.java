package dev.quarry.train.export;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.quarry.inference.BertConfig;
import dev.quarry.inference.BertWeights;
import dev.quarry.inference.OnnxBertExporter;
import dev.quarry.io.Json;
import dev.quarry.io.SafetensorsWriter;
import dev.quarry.io.Tensor;
import dev.quarry.tokenize.TokenizerFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Saves a trained cross-encoder in the classic layout, the one every sentence-transformers version
 * since v2 loads as {@code CrossEncoder(path)} and transformers as {@code
 * AutoModelForSequenceClassification}: config.json ({@code BertForSequenceClassification}, {@code
 * id2label}, the activation under {@code sentence_transformers.activation_fn}), model.safetensors
 * ({@code bert.*} and {@code classifier.*}), tokenizer files whose {@code model_max_length} is the
 * training length, onnx/model.onnx (output {@code logits}) for Quarry's runtime, and a README card.
 */
public final class CrossEncoderWriter {
  private CrossEncoderWriter() {}

  /** What is saved beside the weights. */
  public record Head(int numLabels, String activation, int maxLength, Path tokenizerFile) {}

  /**
   * @param weights the encoder by its BertModel names plus {@code pooler.dense.*} and {@code classifier.*}
   * @param modelCard README.md, or null
   */
  public static void write(Path dir, BertConfig config, BertWeights weights, Head head, String modelCard) throws IOException {
    Files.createDirectories(dir);
    Map<String, Object> json = new LinkedHashMap<>(config.toJson());
    json.put("architectures", new String[] {"BertForSequenceClassification"});
    Map<String, String> id2label = new LinkedHashMap<>();
    Map<String, Integer> label2id = new LinkedHashMap<>();
    for (int i = 0; i < head.numLabels(); i++) {
      id2label.put(Integer.toString(i), "LABEL_" + i);
      label2id.put("LABEL_" + i, i);
    }
    json.put("id2label", id2label);
    json.put("label2id", label2id);
    // Where CrossEncoder (v4 and later) reads the activation of a classic folder; no version is
    // claimed, as for bi-encoders (see SentenceTransformerWriter).
    json.put("sentence_transformers", Map.of("activation_fn", head.activation()));
    Json.prettyWriter().writeValue(dir.resolve("config.json").toFile(), json);
    Map<String, Tensor> stored = new LinkedHashMap<>();
    weights.tensors().forEach((name, t) -> stored.put(name.startsWith("classifier.") ? name : "bert." + name, t));
    SafetensorsWriter.write(dir.resolve("model.safetensors"), stored);
    TokenizerFiles.read(head.tokenizerFile()).writeFolder(head.tokenizerFile().getParent(), dir, head.maxLength());
    // A classic cross-encoder's length is its tokenizer's model_max_length: the one it was trained at,
    // whatever the source's tokenizer_config.json said.
    Path tokenizerConfig = dir.resolve("tokenizer_config.json");
    ObjectNode tc = (ObjectNode) Json.read(tokenizerConfig);
    tc.put("model_max_length", head.maxLength());
    Json.prettyWriter().writeValue(tokenizerConfig.toFile(), tc);
    OnnxBertExporter.exportSequenceClassification(config, weights, head.numLabels(), dir.resolve("onnx/model.onnx"));
    if (modelCard != null) {
      Files.writeString(dir.resolve("README.md"), modelCard);
    }
  }
}
