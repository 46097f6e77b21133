package dev.quarry.train.bert;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.types.SparseFormat;
import ai.djl.nn.Activation;
import ai.djl.nn.core.Embedding;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.LayerNorm;
import dev.quarry.inference.BertConfig;
import dev.quarry.inference.BertWeights;
import dev.quarry.io.Tensor;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A BERT encoder written in DJL ops on the PyTorch engine, trainable with autograd; computes what
 * transformers' {@code BertModel(...).last_hidden_state} does.
 *
 * <p>Memory: DJL keeps every NDArray until its manager closes, and an op's result joins the
 * manager of its first operand. Each layer therefore runs in its own sub-manager with the
 * activation as first operand (never a weight, or results would pile up in the parameters'
 * manager), and only the layer's output survives it. Closing a Java handle does not free what
 * autograd saved for the backward pass: libtorch counts its own references.
 */
public final class BertEncoder implements AutoCloseable {
  private final BertConfig config;
  private final NDManager manager;
  private final Map<String, NDArray> params = new LinkedHashMap<>();

  /** Copies {@code weights} into a new manager under {@code parent}. */
  public BertEncoder(BertConfig config, BertWeights weights, NDManager parent) {
    this(config, weights, parent, List.of());
  }

  /**
   * As above, with {@code headNames} (a classification head's tensors, say) trained, checkpointed and
   * restored with the encoder; the forward pass leaves them to the caller ({@link #parameter}).
   */
  public BertEncoder(BertConfig config, BertWeights weights, NDManager parent, List<String> headNames) {
    this.config = config;
    this.manager = parent.newSubManager();
    List<String> names = new ArrayList<>(BertWeights.requiredNames(config));
    names.addAll(headNames);
    for (String name : names) {
      Tensor t = weights.get(name);
      NDArray a = NativeArrays.of(manager, t.data(), new Shape(t.shape()));
      a.setName(name);
      params.put(name, a);
    }
  }

  public BertConfig config() {
    return config;
  }

  /** One trainable tensor by its Hugging Face name. */
  public NDArray parameter(String name) {
    NDArray p = params.get(name);
    if (p == null) {
      throw new IllegalArgumentException("no parameter " + name);
    }
    return p;
  }

  /** The trainable tensors by Hugging Face name, in transformers' order. */
  public Map<String, NDArray> parameters() {
    return params;
  }

  public void setRequiresGradient(boolean requires) {
    params.values().forEach(p -> p.setRequiresGradient(requires));
  }

  /** Overwrites the parameters in place with {@code weights} (resuming from a checkpoint). */
  public void load(BertWeights weights) {
    weights.validate(config, "the restored weights");
    // New arrays in place of the old ones (same map, so optimizers holding it see them): DJL's
    // NDArray.set goes through a libtorch mode that prints a deprecation warning.
    for (Map.Entry<String, NDArray> e : params.entrySet()) {
      Tensor t = weights.get(e.getKey());
      NDArray fresh = NativeArrays.of(manager, t.data(), new Shape(t.shape()));
      fresh.setName(e.getKey());
      fresh.setRequiresGradient(e.getValue().hasGradient());
      e.getValue().close();
      e.setValue(fresh);
    }
  }

  /** The current weights, copied to the Java heap (for saving). */
  public BertWeights snapshot() {
    Map<String, Tensor> out = new LinkedHashMap<>();
    params.forEach((name, p) -> out.put(name, new Tensor(p.getShape().getShape(), p.toFloatArray())));
    return new BertWeights(out);
  }

  /**
   * The last hidden state [batch, seq, hidden], attached to {@code out}.
   *
   * @param ids token ids [batch, seq] (int64)
   * @param typeIds token type ids [batch, seq] (int64)
   * @param mask attention mask [batch, seq] (int64, 1 = token, 0 = padding)
   * @param training applies dropout when true
   */
  public NDArray forward(NDManager out, NDArray ids, NDArray typeIds, NDArray mask, boolean training) {
    long batch = ids.getShape().get(0);
    long seq = ids.getShape().get(1);
    NDArray hidden;
    NDArray maskBias;
    try (NDManager sm = out.newSubManager()) {
      // Inputs join this manager for the while, so that what is computed from them is freed here.
      ids.tempAttach(sm);
      typeIds.tempAttach(sm);
      mask.tempAttach(sm);
      NDArray positions = sm.arange(0, (int) seq, 1, DataType.INT64).reshape(1, seq);
      NDArray word = Embedding.embedding(ids, p("embeddings.word_embeddings.weight"), SparseFormat.DENSE).singletonOrThrow();
      NDArray pos = Embedding.embedding(positions, p("embeddings.position_embeddings.weight"), SparseFormat.DENSE).singletonOrThrow();
      NDArray type = Embedding.embedding(typeIds, p("embeddings.token_type_embeddings.weight"), SparseFormat.DENSE).singletonOrThrow();
      NDArray e = word.add(pos).add(type);
      hidden = layerNorm(e, "embeddings.LayerNorm");
      hidden = dropout(hidden, config.hiddenDropoutProb(), training);
      // Additive mask [batch, 1, 1, seq]: 0 for tokens, the float minimum for padding, as transformers does.
      maskBias = mask.toType(DataType.FLOAT32, false).neg().add(1f).mul(-Float.MAX_VALUE).reshape(batch, 1, 1, seq);
      hidden.attach(out);
      maskBias.attach(out);
    }
    for (int i = 0; i < config.numHiddenLayers(); i++) {
      NDArray next;
      try (NDManager lm = out.newSubManager()) {
        hidden.attach(lm);
        next = layer(i, hidden, maskBias, training, batch, seq);
        next.attach(out);
      }
      hidden = next;
    }
    maskBias.close();
    return hidden;
  }

  private NDArray layer(int i, NDArray x, NDArray maskBias, boolean training, long batch, long seq) {
    String pre = "encoder.layer." + i + ".";
    int heads = config.numAttentionHeads();
    int d = config.headSize();
    // One GEMM for query, key and value (weights concatenated each step: cheap, and autograd splits
    // the gradient back). 1/sqrt(d) goes on q ([b, h, s, d]) rather than on the scores ([b, h, s, s]),
    // and the mask is added in place: each [b, h, s, s] tensor is hundreds of MB at 256 tokens.
    NDManager lm = x.getManager();
    NDArray w = NDArrays.concat(new NDList(p(pre + "attention.self.query.weight"), p(pre + "attention.self.key.weight"),
        p(pre + "attention.self.value.weight")), 0);
    NDArray b = NDArrays.concat(new NDList(p(pre + "attention.self.query.bias"), p(pre + "attention.self.key.bias"),
        p(pre + "attention.self.value.bias")), 0);
    w.attach(lm); // concat's result joined the parameters' manager; it must go with this layer
    b.attach(lm);
    NDArray qkv = Linear.linear(x, w, b).singletonOrThrow().reshape(batch, seq, 3, heads, d).transpose(2, 0, 3, 1, 4);
    NDArray q = NativeArrays.mul(qkv.get(0), 1.0 / Math.sqrt(d));
    NDArray k = qkv.get(1).transpose(0, 1, 3, 2);
    NDArray v = qkv.get(2);
    NDArray scores = q.matMul(k).addi(maskBias);
    NDArray probs = dropout(scores.softmax(-1), config.attentionProbsDropoutProb(), training);
    NDArray context = probs.matMul(v).transpose(0, 2, 1, 3).reshape(batch, seq, (long) heads * d);
    NDArray attn = dropout(linear(context, pre + "attention.output.dense"), config.hiddenDropoutProb(), training);
    NDArray a = layerNorm(attn.add(x), pre + "attention.output.LayerNorm");
    NDArray inter = activation(linear(a, pre + "intermediate.dense"));
    NDArray o = dropout(linear(inter, pre + "output.dense"), config.hiddenDropoutProb(), training);
    return layerNorm(o.add(a), pre + "output.LayerNorm");
  }

  private NDArray activation(NDArray x) {
    return switch (config.hiddenAct()) {
      case "gelu" -> Activation.gelu(x); // libtorch's exact (erf) GELU, as transformers' "gelu"
      case "relu" -> Activation.relu(x);
      default -> { // tanh approximation: 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))
        // Scalars as libtorch-owned tensors (see NativeArrays); adding a number saves nothing for backward.
        NDArray cube = x.mul(x).mul(x);
        NDArray inner = NativeArrays.mul(NativeArrays.mul(cube, 0.044715).add(x), Math.sqrt(2 / Math.PI)).tanh();
        yield NativeArrays.mul(x.mul(inner.add(1f)), 0.5);
      }
    };
  }

  private NDArray linear(NDArray x, String name) {
    return Linear.linear(x, p(name + ".weight"), p(name + ".bias")).singletonOrThrow();
  }

  private NDArray layerNorm(NDArray x, String name) {
    return LayerNorm.layerNorm(x, new Shape(config.hiddenSize()), p(name + ".weight"), p(name + ".bias"),
        (float) config.layerNormEps()).singletonOrThrow();
  }

  /**
   * Inverted dropout (keep with probability 1 - p, scale kept values by 1 / (1 - p)), its mask
   * drawn from libtorch's uniform generator: a third cheaper than libtorch's bernoulli dropout on
   * this CPU, which matters most on the attention probabilities ([b, h, s, s]).
   */
  public static NDArray dropout(NDArray x, double rate, boolean training) {
    if (!training || rate <= 0) {
      return x;
    }
    // A boolean mask multiplies directly (libtorch promotes it); the scale is applied in place, by a
    // libtorch-owned scalar since mul_ saves it for backward (see NativeArrays).
    NDArray keep = x.getManager().randomUniform(0f, 1f, x.getShape()).gte((float) rate);
    return x.mul(keep).muli(NativeArrays.scalar(x.getManager(), (float) (1 / (1 - rate))));
  }

  private NDArray p(String name) {
    return params.get(name);
  }

  @Override
  public void close() {
    manager.close();
  }
}
