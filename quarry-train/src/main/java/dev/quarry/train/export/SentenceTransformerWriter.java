package dev.quarry.train.export;

import dev.quarry.Quarry;
import dev.quarry.inference.BertConfig;
import dev.quarry.inference.BertWeights;
import dev.quarry.inference.OnnxBertExporter;
import dev.quarry.io.Json;
import dev.quarry.io.SafetensorsWriter;
import dev.quarry.model.ModelFolder;
import dev.quarry.modules.ModuleType;
import dev.quarry.modules.ModulesFile;
import dev.quarry.modules.SentenceModule;
import dev.quarry.modules.TransformerConfig;
import dev.quarry.tokenize.TokenizerFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
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
    Json.prettyWriter().writeValue(dir.resolve("config.json").toFile(), config.toJson());
    SafetensorsWriter.write(dir.resolve("model.safetensors"), weights.tensors());
    // tokenizer_config.json from tokenizer.json's normaliser, not from sentence_bert_config's
    // do_lower_case: transformers rebuilds the normaliser from the config (see TokenizerFiles).
    TokenizerFiles.read(source.tokenizerFile()).writeFolder(source.tokenizerFile().getParent(), dir, source.maxSeqLength());
    // Each module saves its own folder; modules.json lists them. Fine-tuning keeps the source's
    // modules after pooling (Normalize: TrainableSentenceTransformer refuses sources with Dense).
    List<ModulesFile.Entry> modules = new ArrayList<>();
    new TransformerConfig(source.maxSeqLength(), "", source.doLowerCase(), TransformerConfig.FEATURE_EXTRACTION).write(dir);
    modules.add(new ModulesFile.Entry("", ModuleType.TRANSFORMER));
    String pooling = ModulesFile.folderName(1, ModuleType.POOLING);
    source.pooling().write(dir.resolve(pooling));
    modules.add(new ModulesFile.Entry(pooling, ModuleType.POOLING));
    for (SentenceModule m : source.sentenceModules()) {
      String folder = ModulesFile.folderName(modules.size(), m.type());
      m.save(dir.resolve(folder));
      modules.add(new ModulesFile.Entry(folder, m.type()));
    }
    ModulesFile.write(dir, modules);
    Map<String, Object> st = new LinkedHashMap<>();
    // Written by Quarry, not by sentence-transformers: no sentence_transformers version is claimed
    // (sentence-transformers only compares it to warn about folders from newer releases).
    st.put("model_type", "SentenceTransformer");
    st.put("__version__", Map.of("quarry", Quarry.VERSION));
    st.put("prompts", source.prompts());
    st.put("default_prompt_name", source.defaultPromptName());
    st.put("similarity_fn_name", source.similarity().id());
    Json.prettyWriter().writeValue(dir.resolve("config_sentence_transformers.json").toFile(), st);
    OnnxBertExporter.export(config, weights, dir.resolve("onnx/model.onnx"));
    if (modelCard != null) {
      Files.writeString(dir.resolve("README.md"), modelCard);
    }
  }

}
