package dev.quarry.train.loss;

import java.util.Map;

/**
 * How a loss introduces itself in a model card, as sentence-transformers writes it: its Python
 * class, its constructor parameters (as the Python repr shows them) and its tag.
 *
 * @param className the fully qualified sentence-transformers class
 * @param parameters the parameters, in order, already formatted as Python literals
 * @param note what the card says about it beside the parameters, or empty
 */
public record LossCard(String className, Map<String, String> parameters, String note) {
  public LossCard(String className, Map<String, String> parameters) {
    this(className, parameters, "");
  }

  /** The class's simple name: the model card's {@code loss:} tag. */
  public String simpleName() {
    return className.substring(className.lastIndexOf('.') + 1);
  }

  /** The parameters as the Python dict repr the card shows: {@code {'scale': 20.0, ...}}. */
  public String parametersRepr() {
    StringBuilder sb = new StringBuilder("{");
    parameters.forEach((k, v) -> sb.append(sb.length() == 1 ? "" : ", ").append('\'').append(k).append("': ").append(v));
    return sb.append('}').toString();
  }

  /** A float as Python prints it: {@code 20.0}, {@code 0.05}. */
  static String pythonFloat(double v) {
    return v == Math.rint(v) && !Double.isInfinite(v) ? (long) v + ".0" : String.valueOf(v);
  }
}
