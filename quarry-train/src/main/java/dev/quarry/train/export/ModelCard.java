package dev.quarry.train.export;

import dev.quarry.inference.BertConfig;
import dev.quarry.model.ModelFolder;
import dev.quarry.modules.PoolingMode;
import dev.quarry.train.Trainer;
import dev.quarry.train.TrainingArguments;
import dev.quarry.train.TrainingLog;
import dev.quarry.train.loss.MatryoshkaLoss;
import java.util.Arrays;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * The README.md of a fine-tuned model, in the layout of sentence-transformers' (v2) model cards:
 * usage, evaluation results, the DataLoader / Loss / fit() parameters, the architecture.
 */
public final class ModelCard {
  private ModelCard() {}

  public static String render(String name, ModelFolder source, BertConfig config, TrainingArguments args,
      int rows, int batchesPerEpoch, int warmupSteps, TrainingLog.EvalRecord base, TrainingLog.EvalRecord best) {
    StringBuilder sb = new StringBuilder();
    boolean cached = args.loss().equals(TrainingArguments.CACHED_MNRL);
    sb.append("---\npipeline_tag: sentence-similarity\ntags:\n- sentence-transformers\n- feature-extraction\n")
        .append("- sentence-similarity\n");
    if (!args.matryoshkaDims().isEmpty()) {
      sb.append("- loss:MatryoshkaLoss\n");
    }
    sb.append(cached ? "- loss:CachedMultipleNegativesRankingLoss\n" : "- loss:MultipleNegativesRankingLoss\n");
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
    if (best == null) {
      sb.append("No evaluation was run during training.\n\n");
    } else {
      sb.append("InformationRetrievalEvaluator (").append(args.similarity().id())
          .append(" score), best checkpoint at step ").append(best.step()).append(":\n\n");
      sb.append("| metric | base model | fine-tuned |\n|---|---:|---:|\n");
      for (Map.Entry<String, Double> e : best.metrics().entrySet()) {
        Double b = base == null ? null : base.metrics().get(e.getKey());
        sb.append("| ").append(e.getKey()).append(" | ").append(b == null ? "-" : fmt(b)).append(" | ").append(fmt(e.getValue())).append(" |\n");
      }
      sb.append('\n');
    }
    sb.append("## Training\nThe model was trained with the parameters:\n\n**DataLoader**:\n\n")
        .append("`torch.utils.data.dataloader.DataLoader` of length ").append(batchesPerEpoch).append(" with parameters:\n```\n")
        .append("{'batch_size': ").append(args.batchSize()).append(", 'sampler': 'NoDuplicatesBatchSampler', 'rows': ").append(rows).append("}\n```\n\n");
    sb.append("**Loss**:\n\n");
    if (!args.matryoshkaDims().isEmpty()) {
      MatryoshkaLoss m = (MatryoshkaLoss) Trainer.lossOf(args, source.pooling().outputDimension());
      sb.append("`sentence_transformers.losses.MatryoshkaLoss.MatryoshkaLoss` with parameters:\n  ```\n  {'matryoshka_dims': ")
          .append(Arrays.toString(m.dims())).append(", 'matryoshka_weights': ").append(Arrays.toString(m.weights()))
          .append(", 'n_dims_per_step': -1}\n  ```\n\nMatryoshka dimensions: ")
          .append(Arrays.stream(m.dims()).mapToObj(String::valueOf).collect(Collectors.joining(", ")))
          .append(". Embeddings cut to any of them keep working: `SentenceTransformer(path, truncate_dim=").append(m.dims()[m.dims().length - 1])
          .append(")`, or `quarry eval --truncate-dim ").append(m.dims()[m.dims().length - 1]).append("`.\n\nwrapping ");
    }
    sb.append(cached ? "`sentence_transformers.losses.CachedMultipleNegativesRankingLoss.CachedMultipleNegativesRankingLoss`"
        : "`sentence_transformers.losses.MultipleNegativesRankingLoss.MultipleNegativesRankingLoss`")
        .append(" with parameters:\n  ```\n  {'scale': ")
        .append(fmtPlain(args.scale())).append(", 'similarity_fct': '").append(args.similarity().utilName()).append("'")
        .append(cached ? ", 'mini_batch_size': " + args.miniBatchSize() : "").append("}\n  ```\n\n");
    sb.append("Parameters of the fit()-Method:\n```\n{\n");
    sb.append("    \"epochs\": ").append(args.epochs()).append(",\n");
    sb.append("    \"evaluation_steps\": ").append(args.evalSteps()).append(",\n");
    sb.append("    \"evaluator\": \"sentence_transformers.evaluation.InformationRetrievalEvaluator.InformationRetrievalEvaluator\",\n");
    sb.append("    \"max_grad_norm\": ").append(fmtPlain(args.maxGradNorm())).append(",\n");
    sb.append("    \"optimizer_class\": \"<class 'transformers.optimization.AdamW'>\",\n");
    sb.append("    \"optimizer_params\": {\n        \"correct_bias\": ").append(args.biasCorrection())
        .append(",\n        \"eps\": ").append(args.adamEps()).append(",\n        \"lr\": ").append(args.learningRate()).append("\n    },\n");
    sb.append("    \"scheduler\": \"WarmupLinear\",\n    \"seed\": ").append(args.seed()).append(",\n");
    sb.append("    \"steps_per_epoch\": null,\n    \"warmup_steps\": ").append(warmupSteps).append(",\n");
    sb.append("    \"weight_decay\": ").append(args.weightDecay()).append("\n}\n```\n\n");
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
