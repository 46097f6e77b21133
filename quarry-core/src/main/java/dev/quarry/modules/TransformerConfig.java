package dev.quarry.modules;

import com.fasterxml.jackson.databind.JsonNode;
import dev.quarry.QuarryException;
import dev.quarry.io.Json;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The Transformer module's settings, read from its folder as sentence-transformers 2 to 6 save
 * it: {@code sentence_bert_config.json}, and the tokenizer's and model's configs behind it.
 *
 * <p>Two dialects exist. Up to 5.3 the file holds {@code max_seq_length} and {@code
 * do_lower_case}. From 5.4 it holds only {@code transformer_task}, {@code modality_config} and
 * {@code module_output_name}, and the maximum length lives in the tokenizer. The length is taken
 * as sentence-transformers 6 takes it ({@code Transformer.__init__} and {@code max_seq_length}):
 * an explicit {@code max_seq_length} (or {@code model_max_length} in the saved processor/tokenizer
 * arguments) is used as it is; otherwise the tokenizer's {@code model_max_length}, capped at the
 * model's {@code max_position_embeddings}. transformers writes about 1e30 for "no limit", so
 * that value counts as absent.
 *
 * @param maxSeqLength tokens kept per text, special tokens included
 * @param maxSeqLengthSource the file and field the length came from, for {@code quarry info}
 * @param doLowerCase lower-case texts before tokenising
 * @param task {@code transformer_task}; always {@code feature-extraction} for a model Quarry encodes with
 */
public record TransformerConfig(int maxSeqLength, String maxSeqLengthSource, boolean doLowerCase, String task) {
  /** The module's type in modules.json, as Quarry writes it (see {@link ModuleType#TRANSFORMER}). */
  public static final String TYPE = "sentence_transformers.models.Transformer";
  /** Its file in the module's folder. */
  public static final String FILE = "sentence_bert_config.json";
  /** The only task that gives token embeddings for a bi-encoder. */
  public static final String FEATURE_EXTRACTION = "feature-extraction";
  /** A cross-encoder's task: a classification head over the text pair. */
  public static final String SEQUENCE_CLASSIFICATION = "sequence-classification";
  /** transformers' VERY_LARGE_INTEGER (int(1e30)) and anything near it mean "no limit". */
  private static final double NO_LIMIT = 1e18;
  /** When no file says anything: BERT's position table. */
  private static final int FALLBACK_LENGTH = 512;

  /**
   * Reads the module in {@code dir}. Refuses, naming the file, field and value, a task or modality
   * that is not text through the model's forward pass.
   */
  public static TransformerConfig readFolder(Path dir) {
    return readFolder(dir, FEATURE_EXTRACTION);
  }

  /**
   * As {@link #readFolder(Path)}, for a Transformer of {@code expectedTask}: {@value
   * #FEATURE_EXTRACTION} (a bi-encoder's) or {@value #SEQUENCE_CLASSIFICATION} (a cross-encoder's,
   * whose module output is {@code scores} or {@code logits}).
   */
  public static TransformerConfig readFolder(Path dir, String expectedTask) {
    Path file = dir.resolve(FILE);
    JsonNode st = Json.readIfExists(file);
    JsonNode hf = Json.readIfExists(dir.resolve("config.json"));
    String task = st == null ? expectedTask : st.path("transformer_task").asText(expectedTask);
    boolean classifier = expectedTask.equals(SEQUENCE_CLASSIFICATION);
    if (classifier) {
      if (!task.equals(SEQUENCE_CLASSIFICATION)) {
        throw new QuarryException("transformer_task '" + task + "' in " + file + " is not a cross-encoder's: a CrossEncoder's"
            + " Transformer has transformer_task 'sequence-classification'.");
      }
    } else {
      checkTask(task, file);
    }
    if (st != null && st.has("modality_config")) {
      checkModalities(st.get("modality_config"), file, classifier ? "logits" : "last_hidden_state");
    }
    String output = st == null || !st.hasNonNull("module_output_name") ? null : st.get("module_output_name").asText();
    if (output != null && (classifier ? !output.equals("scores") && !output.equals("logits") : !output.equals("token_embeddings"))) {
      throw new QuarryException("module_output_name '" + output + "' in " + file + " is not supported: Quarry "
          + (classifier ? "scores pairs with the classifier's logits (scores)." : "pools the Transformer's token_embeddings."));
    }
    boolean lower = st != null && st.path("do_lower_case").asBoolean(false);
    if (st != null && st.hasNonNull("max_seq_length")) {
      return new TransformerConfig(positive(st.get("max_seq_length"), file, "max_seq_length"),
          FILE + " max_seq_length", lower, task);
    }
    for (String args : new String[] {"processor_kwargs", "tokenizer_args"}) {
      JsonNode v = st == null ? null : st.path(args).get("model_max_length");
      if (v != null && !v.isNull()) {
        return new TransformerConfig(positive(v, file, args + ".model_max_length"), FILE + " " + args + ".model_max_length",
            lower, task);
      }
    }
    Path tokFile = dir.resolve("tokenizer_config.json");
    JsonNode tok = Json.readIfExists(tokFile);
    long fromTokenizer = limit(tok == null ? null : tok.get("model_max_length"), tokFile, "model_max_length");
    long fromModel = limit(hf == null ? null : hf.get("max_position_embeddings"), dir.resolve("config.json"),
        "max_position_embeddings");
    if (fromTokenizer > 0 && (fromModel <= 0 || fromTokenizer <= fromModel)) {
      return new TransformerConfig((int) fromTokenizer, "tokenizer_config.json model_max_length", lower, task);
    }
    if (fromModel > 0) {
      return new TransformerConfig((int) fromModel, "config.json max_position_embeddings", lower, task);
    }
    return new TransformerConfig(FALLBACK_LENGTH, "default (no file gives a length)", lower, task);
  }

  /**
   * Writes {@value #FILE} in the layout every sentence-transformers version from 2 to 6 reads:
   * {@code max_seq_length} and {@code do_lower_case} (6.0 reads the old keys; 5.3 and older do not
   * read the new ones).
   */
  public void write(Path dir) throws IOException {
    Files.createDirectories(dir);
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("max_seq_length", maxSeqLength);
    out.put("do_lower_case", doLowerCase);
    Json.prettyWriter().writeValue(dir.resolve(FILE).toFile(), out);
  }

  private static void checkTask(String task, Path file) {
    switch (task) {
      case FEATURE_EXTRACTION -> { }
      case "sequence-classification" -> throw new QuarryException(file + " says transformer_task"
          + " 'sequence-classification': this folder is a CrossEncoder (a reranker), which scores text pairs"
          + " instead of encoding texts. Quarry encodes with SentenceTransformer models only.");
      case "fill-mask" -> throw new QuarryException(file + " says transformer_task 'fill-mask': this folder is a"
          + " SparseEncoder (SPLADE-style), which Quarry does not run. Quarry encodes with dense SentenceTransformer models.");
      default -> throw new QuarryException("transformer_task '" + task + "' in " + file + " is not supported:"
          + " Quarry runs 'feature-extraction' Transformers (text in, token embeddings out).");
    }
  }

  private static void checkModalities(JsonNode modalities, Path file, String expectedOutput) {
    if (!modalities.isObject() || modalities.isEmpty()) {
      throw new QuarryException("modality_config in " + file + " must be an object such as"
          + " {\"text\": {\"method\": \"forward\", ...}}.");
    }
    for (Iterator<Map.Entry<String, JsonNode>> it = modalities.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      if (!e.getKey().equals("text")) {
        throw new QuarryException("modality_config in " + file + " has modality '" + e.getKey()
            + "': Quarry encodes text only (images, audio, video and chat messages are not supported).");
      }
      String method = e.getValue().path("method").asText("forward");
      if (!method.equals("forward")) {
        throw new QuarryException("modality_config.text.method '" + method + "' in " + file
            + " is not supported: Quarry runs the model's forward pass.");
      }
      String output = e.getValue().path("method_output_name").asText(expectedOutput);
      if (!output.equals(expectedOutput)) {
        throw new QuarryException("modality_config.text.method_output_name '" + output + "' in " + file
            + " is not supported: Quarry's ONNX graphs give " + expectedOutput + " here.");
      }
    }
  }

  private static int positive(JsonNode v, Path file, String field) {
    long n = limit(v, file, field);
    if (n <= 0) {
      throw new QuarryException(field + " in " + file + " must be a positive integer, not " + v);
    }
    return (int) n;
  }

  /** A length field: -1 when absent, null, "no limit" (about 1e30) or -1 (xlnet's "none"). */
  private static long limit(JsonNode v, Path file, String field) {
    if (v == null || v.isNull()) {
      return -1;
    }
    if (!v.isNumber()) {
      throw new QuarryException(field + " in " + file + " must be a number, not " + v);
    }
    double d = v.doubleValue();
    if (d >= NO_LIMIT || d == -1) {
      return -1;
    }
    if (d <= 0 || d != Math.rint(d)) {
      throw new QuarryException(field + " in " + file + " must be a positive integer, not " + v);
    }
    return (long) Math.min(d, Integer.MAX_VALUE);
  }
}
