package dev.quarry.train.export;

import dev.quarry.model.Json;
import dev.quarry.model.ModelFolder;
import dev.quarry.pooling.PoolingMode;
import dev.quarry.train.bert.BertConfig;
import dev.quarry.train.bert.BertWeights;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Saves a trained model as sentence-transformers lays a folder out, so that both Python
 * ({@code SentenceTransformer(path)}) and Quarry's ONNX path load it: config.json,
 * model.safetensors, tokenizer files, modules.json, 1_Pooling/config.json, 2_Normalize,
 * sentence_bert_config.json, config_sentence_transformers.json, onnx/model.onnx and a README
 * model card.
 */
public final class SentenceTransformerWriter {
  private SentenceTransformerWriter() {}

  /**
   * @param source the folder the training started from (tokenizer, pooling and prompts are kept)
   * @param modelCard the README.md text, or null
   */
  public static void write(Path dir, ModelFolder source, BertConfig config, BertWeights weights, String modelCard)
      throws IOException {
    Files.createDirectories(dir);
    Json.MAPPER.writerWithDefaultPrettyPrinter().writeValue(dir.resolve("config.json").toFile(), config.toJson());
    SafetensorsWriter.write(dir.resolve("model.safetensors"), weights.tensors());
    Files.copy(source.tokenizerFile(), dir.resolve("tokenizer.json"), StandardCopyOption.REPLACE_EXISTING);
    for (String f : List.of("tokenizer_config.json", "special_tokens_map.json", "vocab.txt")) {
      Path src = source.transformerDir().resolve(f);
      if (Files.isRegularFile(src)) {
        Files.copy(src, dir.resolve(f), StandardCopyOption.REPLACE_EXISTING);
      }
    }
    if (!Files.exists(dir.resolve("tokenizer_config.json"))) {
      // What transformers needs to pick the fast BERT tokenizer for tokenizer.json.
      Map<String, Object> tc = new LinkedHashMap<>();
      tc.put("tokenizer_class", "BertTokenizer");
      tc.put("model_max_length", source.maxSeqLength());
      tc.put("do_lower_case", source.doLowerCase());
      Json.MAPPER.writerWithDefaultPrettyPrinter().writeValue(dir.resolve("tokenizer_config.json").toFile(), tc);
    }
    List<Map<String, Object>> modules = new ArrayList<>();
    modules.add(module(0, "", "sentence_transformers.models.Transformer"));
    modules.add(module(1, "1_Pooling", "sentence_transformers.models.Pooling"));
    if (source.normalizes()) {
      modules.add(module(2, "2_Normalize", "sentence_transformers.models.Normalize"));
      Files.createDirectories(dir.resolve("2_Normalize"));
    }
    Json.MAPPER.writerWithDefaultPrettyPrinter().writeValue(dir.resolve("modules.json").toFile(), modules);
    Files.createDirectories(dir.resolve("1_Pooling"));
    Map<String, Object> pooling = new LinkedHashMap<>();
    pooling.put("word_embedding_dimension", source.pooling().wordEmbeddingDimension());
    for (PoolingMode m : PoolingMode.values()) {
      pooling.put(m.configKey(), source.pooling().modes().contains(m));
    }
    pooling.put("include_prompt", source.pooling().includePrompt());
    Json.MAPPER.writerWithDefaultPrettyPrinter().writeValue(dir.resolve("1_Pooling/config.json").toFile(), pooling);
    Map<String, Object> sbert = new LinkedHashMap<>();
    sbert.put("max_seq_length", source.maxSeqLength());
    sbert.put("do_lower_case", source.doLowerCase());
    Json.MAPPER.writerWithDefaultPrettyPrinter().writeValue(dir.resolve("sentence_bert_config.json").toFile(), sbert);
    Map<String, Object> st = new LinkedHashMap<>();
    st.put("__version__", Map.of("sentence_transformers", "3.0.1", "quarry", "0.1.0"));
    st.put("prompts", source.prompts());
    st.put("default_prompt_name", source.defaultPromptName());
    st.put("similarity_fn_name", source.similarity().id());
    Json.MAPPER.writerWithDefaultPrettyPrinter().writeValue(dir.resolve("config_sentence_transformers.json").toFile(), st);
    OnnxBertExporter.export(config, weights, dir.resolve("onnx/model.onnx"));
    if (modelCard != null) {
      Files.writeString(dir.resolve("README.md"), modelCard);
    }
  }

  private static Map<String, Object> module(int idx, String path, String type) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("idx", idx);
    m.put("name", String.valueOf(idx));
    m.put("path", path);
    m.put("type", type);
    return m;
  }
}
