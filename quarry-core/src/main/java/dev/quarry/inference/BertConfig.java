package dev.quarry.inference;

import com.fasterxml.jackson.databind.JsonNode;
import dev.quarry.QuarryException;
import dev.quarry.io.Json;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The shape of a BERT encoder, as Hugging Face's config.json describes it.
 *
 * @param hiddenAct {@code gelu} (exact, erf), {@code gelu_new} / {@code gelu_pytorch_tanh} (tanh
 *     approximation) or {@code relu}
 */
public record BertConfig(
    int vocabSize,
    int hiddenSize,
    int numHiddenLayers,
    int numAttentionHeads,
    int intermediateSize,
    int maxPositionEmbeddings,
    int typeVocabSize,
    double layerNormEps,
    String hiddenAct,
    double hiddenDropoutProb,
    double attentionProbsDropoutProb) {

  public BertConfig {
    if (hiddenSize % numAttentionHeads != 0) {
      throw new QuarryException("hidden_size " + hiddenSize + " is not a multiple of num_attention_heads " + numAttentionHeads);
    }
    if (!hiddenAct.equals("gelu") && !hiddenAct.equals("gelu_new") && !hiddenAct.equals("gelu_pytorch_tanh")
        && !hiddenAct.equals("relu")) {
      throw new QuarryException("Unsupported hidden_act '" + hiddenAct + "'; Quarry trains gelu, gelu_new,"
          + " gelu_pytorch_tanh and relu BERT encoders.");
    }
  }

  public int headSize() {
    return hiddenSize / numAttentionHeads;
  }

  /** Reads config.json; names the file and the field when one is missing or not a BERT. */
  public static BertConfig read(Path file) {
    JsonNode c = Json.read(file);
    String type = c.path("model_type").asText("bert");
    if (!type.equals("bert")) {
      throw new QuarryException(file + ": model_type '" + type + "' is not supported for training; Quarry trains"
          + " BERT encoders (model_type \"bert\").");
    }
    return new BertConfig(
        required(c, "vocab_size", file),
        required(c, "hidden_size", file),
        required(c, "num_hidden_layers", file),
        required(c, "num_attention_heads", file),
        required(c, "intermediate_size", file),
        required(c, "max_position_embeddings", file),
        c.path("type_vocab_size").asInt(2),
        c.path("layer_norm_eps").asDouble(1e-12),
        c.path("hidden_act").asText("gelu"),
        c.path("hidden_dropout_prob").asDouble(0.1),
        c.path("attention_probs_dropout_prob").asDouble(0.1));
  }

  private static int required(JsonNode c, String field, Path file) {
    JsonNode v = c.get(field);
    if (v == null || !v.canConvertToInt() || v.asInt() <= 0) {
      throw new QuarryException(file + ": field '" + field + "' is missing or not a positive integer.");
    }
    return v.asInt();
  }

  /** The config.json a saved model carries (what transformers' BertConfig writes). */
  public Map<String, Object> toJson() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("architectures", new String[] {"BertModel"});
    m.put("model_type", "bert");
    m.put("vocab_size", vocabSize);
    m.put("hidden_size", hiddenSize);
    m.put("num_hidden_layers", numHiddenLayers);
    m.put("num_attention_heads", numAttentionHeads);
    m.put("intermediate_size", intermediateSize);
    m.put("hidden_act", hiddenAct);
    m.put("hidden_dropout_prob", hiddenDropoutProb);
    m.put("attention_probs_dropout_prob", attentionProbsDropoutProb);
    m.put("max_position_embeddings", maxPositionEmbeddings);
    m.put("type_vocab_size", typeVocabSize);
    m.put("layer_norm_eps", layerNormEps);
    m.put("initializer_range", 0.02);
    m.put("pad_token_id", 0);
    m.put("position_embedding_type", "absolute");
    m.put("torch_dtype", "float32");
    return m;
  }
}
