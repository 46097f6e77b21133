package dev.quarry.modules;

import com.fasterxml.jackson.databind.JsonNode;
import dev.quarry.QuarryException;
import dev.quarry.io.Json;
import dev.quarry.io.Safetensors;
import dev.quarry.io.SafetensorsWriter;
import dev.quarry.io.Tensor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.DoubleUnaryOperator;

/**
 * sentence-transformers' {@code models.Dense}: y = activation(W x + b), W stored [out, in] as
 * torch.nn.Linear stores it.
 */
public final class Dense implements SentenceModule {
  /** The module's type in modules.json. */
  public static final String TYPE = "sentence_transformers.models.Dense";
  private final float[] weight;
  private final float[] bias;
  private final int in;
  private final int out;
  private final Activation activation;

  /** Activation functions sentence-transformers writes as {@code activation_function}. */
  public enum Activation {
    IDENTITY(x -> x),
    TANH(Math::tanh),
    RELU(x -> Math.max(0, x)),
    SIGMOID(x -> 1 / (1 + Math.exp(-x))),
    // The erf form, which torch.nn.GELU() uses by default (not the tanh approximation).
    GELU(x -> 0.5 * x * (1 + Erf.erf(x / Math.sqrt(2))));

    private final DoubleUnaryOperator fn;

    Activation(DoubleUnaryOperator fn) {
      this.fn = fn;
    }

    public double apply(double x) {
      return fn.applyAsDouble(x);
    }

    /** The fully qualified torch class sentence-transformers writes for it. */
    public String torchName() {
      return "torch.nn.modules.activation." + switch (this) {
        case IDENTITY -> "Identity";
        case TANH -> "Tanh";
        case RELU -> "ReLU";
        case SIGMOID -> "Sigmoid";
        case GELU -> "GELU";
      };
    }

    /** Parses the fully qualified torch class name from a Dense config.json. */
    public static Activation fromTorchName(String name, String where) {
      String simple = name.substring(name.lastIndexOf('.') + 1);
      return switch (simple) {
        case "Identity" -> IDENTITY;
        case "Tanh" -> TANH;
        case "ReLU" -> RELU;
        case "Sigmoid" -> SIGMOID;
        case "GELU" -> GELU;
        default -> throw new QuarryException("Unsupported activation_function '" + name + "' in " + where
            + ". Supported: Identity, Tanh, ReLU, Sigmoid, GELU.");
      };
    }
  }

  public Dense(float[] weight, float[] bias, int in, int out, Activation activation) {
    if (weight.length != in * out) {
      throw new QuarryException("Dense weight has " + weight.length + " values, expected " + out + "x" + in);
    }
    if (bias != null && bias.length != out) {
      throw new QuarryException("Dense bias has " + bias.length + " values, expected " + out);
    }
    this.weight = weight;
    this.bias = bias;
    this.in = in;
    this.out = out;
    this.activation = activation;
  }

  @Override
  public float[] apply(float[] x) {
    if (x.length != in) {
      throw new QuarryException("Dense layer expects " + in + " inputs but the previous module gives " + x.length);
    }
    float[] y = new float[out];
    for (int o = 0; o < out; o++) {
      double s = bias == null ? 0 : bias[o];
      int row = o * in;
      for (int i = 0; i < in; i++) {
        s += (double) weight[row + i] * x[i];
      }
      y[o] = (float) activation.apply(s);
    }
    return y;
  }

  @Override
  public int outputDimension(int inputDimension) {
    return out;
  }

  @Override
  public ModuleType type() {
    return ModuleType.DENSE;
  }

  /** config.json and model.safetensors ({@code linear.weight} [out, in], {@code linear.bias}), as Dense.save writes them. */
  @Override
  public void save(Path dir) throws IOException {
    Files.createDirectories(dir);
    Map<String, Object> cfg = new LinkedHashMap<>();
    cfg.put("in_features", in);
    cfg.put("out_features", out);
    cfg.put("bias", bias != null);
    cfg.put("activation_function", activation.torchName());
    Json.prettyWriter().writeValue(dir.resolve("config.json").toFile(), cfg);
    Map<String, Tensor> tensors = new LinkedHashMap<>();
    tensors.put("linear.weight", new Tensor(new long[] {out, in}, weight));
    if (bias != null) {
      tensors.put("linear.bias", new Tensor(new long[] {out}, bias));
    }
    SafetensorsWriter.write(dir.resolve("model.safetensors"), tensors);
  }

  /** Reads the module in {@code dir}: config.json (features, bias, activation) and model.safetensors. */
  public static Dense readFolder(Path dir) {
    Path cfgFile = dir.resolve("config.json");
    JsonNode cfg = Json.read(cfgFile);
    int in = Json.requireInt(cfg, "in_features", cfgFile);
    int out = Json.requireInt(cfg, "out_features", cfgFile);
    boolean hasBias = cfg.path("bias").asBoolean(true);
    // Absent means Dense's constructor default, Tanh (sentence-transformers 2 to 6).
    Activation act = Activation.fromTorchName(
        cfg.path("activation_function").asText("torch.nn.modules.activation.Tanh"), cfgFile.toString());
    Path weights = dir.resolve("model.safetensors");
    if (!Files.isRegularFile(weights)) {
      throw new QuarryException("Missing file " + weights + ": Quarry reads Dense weights from safetensors."
          + (Files.exists(dir.resolve("pytorch_model.bin"))
              ? " Convert pytorch_model.bin with safetensors.torch.save_file(torch.load(...))." : ""));
    }
    Safetensors st = Safetensors.open(weights);
    float[] w = st.readFloats("linear.weight");
    float[] b = hasBias ? st.readFloats("linear.bias") : null;
    return new Dense(w, b, in, out, act);
  }
}
