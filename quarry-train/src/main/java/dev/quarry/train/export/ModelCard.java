package dev.quarry.train.export;

import dev.quarry.inference.BertConfig;
import dev.quarry.model.ModelFolder;
import dev.quarry.modules.PoolingMode;
import dev.quarry.train.loss.LossCard;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * The README.md of a fine-tuned model, in the layout of sentence-transformers' (v2) model cards:
 * usage, evaluation results, the DataLoader / Loss / fit() parameters, the architecture.
 */
public final class ModelCard {
  private ModelCard() {}

  /**
   * What sentence-transformers' {@code fit()} records of a run, as the card lists it.
   *
   * @param correctBias AdamW's bias correction (off in the reference recipe)
   */
  public record FitParameters(int epochs, int evaluationSteps, double maxGradNorm, boolean correctBias, double eps, double lr, long seed,
      int warmupSteps, double weightDecay) {}

  /**
   * The evaluation during training, or null when none ran.
   *
   * @param scoreFunction the similarity the metrics rank by
   * @param base the metrics before training, or null
   * @param best the metrics of the kept checkpoint
   */
  public record Evaluation(String scoreFunction, int bestStep, Map<String, Double> base, Map<String, Double> best) {}

  /**
   * A run, as the card describes it.
   *
   * @param loss the loss's cards, outermost first ({@code TrainingLoss.cards()})
   * @param evaluation null when no evaluation ran
   */
  public record Run(int rows, int batchSize, int batchesPerEpoch, List<LossCard> loss, FitParameters fit, Evaluation evaluation) {}

  public static String render(String name, ModelFolder source, BertConfig config, Run run) {
    StringBuilder sb = new StringBuilder();
    sb.append("---\npipeline_tag: sentence-similarity\ntags:\n- sentence-transformers\n- feature-extraction\n")
        .append("- sentence-similarity\n");
    for (LossCard l : run.loss()) {
      sb.append("- loss:").append(l.simpleName()).append('\n');
    }
    sb.append("library_name: sentence-transformers\nbase_model: ").append(source.modelId()).append("\n---\n\n");
    sb.append("# ").append(name).append("\n\n");
    sb.append("This is a [sentence-transformers](https://www.SBERT.net) model: it maps sentences & paragraphs to a ")
        .append(source.pooling().outputDimension()).append(" dimensional dense vector space and can be used for tasks like ")
        .append("clustering or semantic search. It was fine-tuned from `").append(source.modelId())
        .append("` with Quarry (Java: DJL + PyTorch).\n\n");
    sb.append("## Usage (Sentence-Transformers)\n\n```python\nfrom sentence_transformers import SentenceTransformer\n")
        .append("sentences = [\"This is an example sentence\", \"Each sentence is converted\"]\n\n")
        .append("model = SentenceTransformer('").append(name).append("')\nembeddings = model.encode(sentences)\nprint(embeddings)\n```\n\n");
    sb.append("## Usage (Quarry)\n\n```\nquarry encode --model ").append(name).append(" \"This is an example sentence\"\n```\n\n");
    sb.append("## Evaluation Results\n\n");
    Evaluation eval = run.evaluation();
    if (eval == null) {
      sb.append("No evaluation was run during training.\n\n");
    } else {
      sb.append("InformationRetrievalEvaluator (").append(eval.scoreFunction())
          .append(" score), best checkpoint at step ").append(eval.bestStep()).append(":\n\n");
      sb.append("| metric | base model | fine-tuned |\n|---|---:|---:|\n");
      for (Map.Entry<String, Double> e : eval.best().entrySet()) {
        Double b = eval.base() == null ? null : eval.base().get(e.getKey());
        sb.append("| ").append(e.getKey()).append(" | ").append(b == null ? "-" : fmt(b)).append(" | ").append(fmt(e.getValue())).append(" |\n");
      }
      sb.append('\n');
    }
    FitParameters fit = run.fit();
    sb.append("## Training\nThe model was trained with the parameters:\n\n**DataLoader**:\n\n")
        .append("`torch.utils.data.dataloader.DataLoader` of length ").append(run.batchesPerEpoch()).append(" with parameters:\n```\n")
        .append("{'batch_size': ").append(run.batchSize()).append(", 'sampler': 'NoDuplicatesBatchSampler', 'rows': ").append(run.rows())
        .append("}\n```\n\n");
    sb.append("**Loss**:\n\n");
    List<String> losses = new ArrayList<>();
    for (LossCard l : run.loss()) {
      losses.add("`" + l.className() + "` with parameters:\n  ```\n  " + l.parametersRepr() + "\n  ```\n\n"
          + (l.note().isEmpty() ? "" : l.note() + "\n\n"));
    }
    sb.append(String.join("wrapping ", losses));
    sb.append("Parameters of the fit()-Method:\n```\n{\n");
    sb.append("    \"epochs\": ").append(fit.epochs()).append(",\n");
    sb.append("    \"evaluation_steps\": ").append(fit.evaluationSteps()).append(",\n");
    sb.append("    \"evaluator\": \"sentence_transformers.evaluation.InformationRetrievalEvaluator.InformationRetrievalEvaluator\",\n");
    sb.append("    \"max_grad_norm\": ").append(fmtPlain(fit.maxGradNorm())).append(",\n");
    sb.append("    \"optimizer_class\": \"<class 'transformers.optimization.AdamW'>\",\n");
    sb.append("    \"optimizer_params\": {\n        \"correct_bias\": ").append(fit.correctBias())
        .append(",\n        \"eps\": ").append(fit.eps()).append(",\n        \"lr\": ").append(fit.lr()).append("\n    },\n");
    sb.append("    \"scheduler\": \"WarmupLinear\",\n    \"seed\": ").append(fit.seed()).append(",\n");
    sb.append("    \"steps_per_epoch\": null,\n    \"warmup_steps\": ").append(fit.warmupSteps()).append(",\n");
    sb.append("    \"weight_decay\": ").append(fit.weightDecay()).append("\n}\n```\n\n");
    String modes = source.pooling().modes().stream().map(PoolingMode::configKey).map(k -> "'" + k + "': True")
        .collect(Collectors.joining(", "));
    sb.append("## Full Model Architecture\n```\nSentenceTransformer(\n  (0): Transformer({'max_seq_length': ").append(source.maxSeqLength())
        .append(", 'do_lower_case': ").append(source.doLowerCase() ? "True" : "False").append("}) with Transformer model: BertModel \n")
        .append("  (1): Pooling({'word_embedding_dimension': ").append(config.hiddenSize()).append(", ").append(modes).append("})\n");
    if (source.normalizes()) {
      sb.append("  (2): Normalize()\n");
    }
    sb.append(")\n```\n");
    return sb.toString();
  }

  private static String fmt(double v) {
    return String.format(Locale.ROOT, "%.4f", v);
  }

  private static String fmtPlain(double v) {
    return v == Math.rint(v) ? String.valueOf((long) v) + ".0" : String.valueOf(v);
  }
}
