package dev.quarry.train.export;

import dev.quarry.train.loss.LossCard;
import java.util.Locale;
import java.util.Map;

/** The README.md of a trained cross-encoder, in the layout of sentence-transformers' CrossEncoder model cards. */
public final class CrossEncoderCard {
  private CrossEncoderCard() {}

  /**
   * A run, as the card describes it.
   *
   * @param firstStage the reranking evaluation's candidates as the first stage ranked them, or null
   * @param before the reranked metrics of the untrained head, or null
   * @param best the reranked metrics of the kept weights, or null when no evaluation ran
   */
  public record Run(String baseModel, int rows, int batchSize, int batchesPerEpoch, int maxLength, LossCard loss,
      ModelCard.FitParameters fit, Map<String, Double> firstStage, Map<String, Double> before, Map<String, Double> best, int bestStep) {}

  public static String render(String name, Run run) {
    StringBuilder sb = new StringBuilder();
    sb.append("---\nlibrary_name: sentence-transformers\npipeline_tag: text-ranking\ntags:\n- sentence-transformers\n")
        .append("- cross-encoder\n- reranker\n- loss:").append(run.loss().simpleName()).append("\nbase_model: ").append(run.baseModel())
        .append("\n---\n\n# ").append(name).append("\n\n");
    sb.append("A [cross-encoder](https://www.sbert.net/docs/cross_encoder/usage/usage.html) trained from `").append(run.baseModel())
        .append("` with Quarry (Java: DJL + PyTorch). It scores (query, passage) pairs, for reranking what a first-stage ")
        .append("retriever found. Pairs are cut to ").append(run.maxLength()).append(" tokens.\n\n");
    sb.append("## Usage (Sentence Transformers)\n\n```python\nfrom sentence_transformers import CrossEncoder\n\nmodel = CrossEncoder('")
        .append(name).append("')\nscores = model.predict([('How many people live in Berlin?', 'Berlin has 3.5 million inhabitants.')])\n")
        .append("ranks = model.rank('How many people live in Berlin?', ['Berlin has 3.5 million inhabitants.', 'Paris is in France.'])\n```\n\n");
    sb.append("## Usage (Quarry)\n\n```\nquarry rerank -m ").append(name).append(" \"How many people live in Berlin?\" passages.txt\n")
        .append("quarry search --rerank ").append(name).append(" --rerank-depth 100 \"How many people live in Berlin?\"\n```\n\n");
    sb.append("## Evaluation\n\n");
    if (run.best() == null) {
      sb.append("No evaluation was run during training.\n\n");
    } else {
      sb.append("CrossEncoderRerankingEvaluator over the first stage's candidates; kept weights from step ").append(run.bestStep())
          .append(".\n\n| metric | first stage | untrained head | trained |\n|---|---:|---:|---:|\n");
      for (Map.Entry<String, Double> e : run.best().entrySet()) {
        sb.append("| ").append(e.getKey()).append(" | ").append(fmt(run.firstStage(), e.getKey())).append(" | ")
            .append(fmt(run.before(), e.getKey())).append(" | ").append(String.format(Locale.ROOT, "%.4f", e.getValue())).append(" |\n");
      }
      sb.append('\n');
    }
    ModelCard.FitParameters fit = run.fit();
    sb.append("## Training\n\n").append(run.rows()).append(" rows in ").append(run.batchesPerEpoch()).append(" batches of ")
        .append(run.batchSize()).append(" per epoch.\n\n**Loss**: `").append(run.loss().className()).append("` with parameters\n```\n")
        .append(run.loss().parametersRepr()).append("\n```\n\n**Hyperparameters**\n```\n")
        .append("num_train_epochs: ").append(fit.epochs()).append("\nlearning_rate: ").append(fit.lr())
        .append("\nwarmup_steps: ").append(fit.warmupSteps()).append("\nlr_scheduler_type: linear\nweight_decay: ").append(fit.weightDecay())
        .append("\nadam_epsilon: ").append(fit.eps()).append("\nmax_grad_norm: ").append(fit.maxGradNorm()).append("\nseed: ").append(fit.seed())
        .append("\n```\n");
    return sb.toString();
  }

  private static String fmt(Map<String, Double> m, String key) {
    Double v = m == null ? null : m.get(key);
    return v == null ? "-" : String.format(Locale.ROOT, "%.4f", v);
  }
}
