package dev.quarry.train.network;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.quarry.QuarryException;
import dev.quarry.encode.ProgressListener;
import dev.quarry.inference.BertConfig;
import dev.quarry.inference.BertWeights;
import dev.quarry.model.ModelFolder;
import dev.quarry.modules.Normalize;
import dev.quarry.tokenize.TextTokenizer;
import dev.quarry.tokenize.TokenizedText;
import dev.quarry.train.bert.BertEncoder;
import dev.quarry.train.bert.NativeArrays;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * A sentence-transformers model (Transformer → Pooling → optional Normalize) whose transformer
 * is a trainable {@link BertEncoder}: what the fine-tuning recipe updates.
 */
public final class TrainableSentenceTransformer implements AutoCloseable {
  private final ModelFolder folder;
  private final BertConfig config;
  private final BertEncoder encoder;
  private final TextTokenizer tokenizer;
  private final boolean normalize;

  private TrainableSentenceTransformer(ModelFolder folder, BertConfig config, BertEncoder encoder) {
    this.folder = folder;
    this.config = config;
    this.encoder = encoder;
    this.tokenizer = new TextTokenizer(folder.tokenizerFile(), folder.maxSeqLength(), folder.doLowerCase());
    this.normalize = folder.normalizes();
  }

  /**
   * Loads a folder's transformer weights: {@code model.safetensors} when present (what the hub and
   * Python save), else the ONNX export.
   */
  public static TrainableSentenceTransformer load(ModelFolder folder, NDManager parent) {
    return load(folder, parent, null);
  }

  /** As {@link #load(ModelFolder, NDManager)}, with {@code weights} replacing the folder's own (resume, tests). */
  public static TrainableSentenceTransformer load(ModelFolder folder, NDManager parent, BertWeights weights) {
    if (folder.routes() != null) {
      throw new QuarryException(folder.root() + " is a Router model (routes " + folder.routes().byName().keySet()
          + "); fine-tuning trains single-route Transformer → Pooling → Normalize models only.");
    }
    boolean hasDense = folder.sentenceModules().stream().anyMatch(m -> !(m instanceof Normalize));
    if (hasDense) {
      throw new QuarryException(folder.root() + " has a Dense module after pooling; fine-tuning trains"
          + " Transformer → Pooling → Normalize models only.");
    }
    if (!folder.pooling().includePrompt()) {
      throw new QuarryException(folder.root().resolve("1_Pooling/config.json") + " sets include_prompt false;"
          + " fine-tuning such models is not supported.");
    }
    Path configFile = folder.transformerDir().resolve("config.json");
    if (!Files.isRegularFile(configFile)) {
      throw new QuarryException("Missing file " + configFile + ": training needs the transformer's config.json.");
    }
    BertConfig config = BertConfig.read(configFile);
    if (weights == null) {
      Path st = folder.transformerDir().resolve("model.safetensors");
      if (Files.isRegularFile(st)) {
        weights = BertWeights.fromSafetensors(st, config);
      } else if (folder.onnxFile() != null) {
        weights = BertWeights.fromOnnx(folder.onnxFile(), config);
      } else {
        throw new QuarryException("No weights in " + folder.transformerDir() + ": expected model.safetensors or onnx/model.onnx.");
      }
    } else {
      weights.validate(config, "the given weights");
    }
    return new TrainableSentenceTransformer(folder, config, new BertEncoder(config, weights, parent));
  }

  public ModelFolder folder() {
    return folder;
  }

  public BertConfig config() {
    return config;
  }

  public BertEncoder encoder() {
    return encoder;
  }

  public TextTokenizer tokenizer() {
    return tokenizer;
  }

  /** Sentence embeddings [texts, dimension] in {@code out}, differentiable (dropout when training). */
  public NDArray embed(NDManager out, List<String> texts, boolean training) {
    TokenizedText[] tokens = tokenizer.encodeAll(texts);
    try (NDManager sm = out.newSubManager()) {
      NDArray[] inputs = NativeArrays.bertInputs(sm, tokens);
      NDArray maskArr = inputs[2];
      NDArray hidden = encoder.forward(sm, inputs[0], inputs[1], maskArr, training);
      NDArray pooled = TrainablePooling.pool(folder.pooling(), hidden, maskArr);
      if (normalize) {
        // torch.nn.functional.normalize: x / max(||x||, 1e-12)
        pooled = NativeArrays.normalizeRows(pooled, 1e-12f);
      }
      pooled.attach(out);
      return pooled;
    }
  }

  /**
   * Inference without autograd: length-sorted batches, results in input order, as float arrays
   * (what the parity checks against ONNX Runtime compare; evaluation runs on the exported graph).
   */
  public float[][] encode(List<String> texts, int batchSize, ProgressListener progress) {
    return SortedBatches.run(texts, String::length, batchSize, (m, batch) -> embed(m, batch, false), progress);
  }

  @Override
  public void close() {
    encoder.close();
    tokenizer.close();
  }
}
