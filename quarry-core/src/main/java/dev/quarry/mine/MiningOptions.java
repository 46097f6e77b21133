package dev.quarry.mine;

import dev.quarry.QuarryException;
import java.util.Locale;

/**
 * The options of sentence-transformers' {@code mine_hard_negatives}.
 *
 * @param rangeMin skip this many of the best surviving candidates (likely unjudged positives)
 * @param rangeMax consider candidates up to this rank; null: as the reference, {@code rangeMin +
 *     numNegatives + positives}, or ten times the negatives when a margin or score bound is set
 * @param absoluteMargin keep a candidate only if its score is at least this much below the query's
 *     hardest (lowest-scoring) positive; null: no such bound
 * @param relativeMargin keep a candidate only if its score is at most that positive's less {@code
 *     margin} times its magnitude ({@code s - |s| x margin}, as sentence-transformers 6); null: no such bound
 * @param maxScore drop candidates scoring above this (null: none)
 * @param minScore drop candidates scoring below this (null: none)
 * @param numNegatives negatives per (query, positive)
 * @param sampling take the best surviving candidates, or a random sample of them
 * @param format one row per negative (triplets), or one row with all negatives (n-tuples; rows with
 *     fewer are dropped, since every row of a training file needs the same number)
 * @param seed for random sampling
 */
public record MiningOptions(int rangeMin, Integer rangeMax, Double absoluteMargin, Double relativeMargin, Double maxScore,
    Double minScore, int numNegatives, Sampling sampling, Format format, long seed) {

  /** How negatives are picked from the surviving candidates. */
  public enum Sampling {
    TOP, RANDOM;

    public static Sampling fromId(String id) {
      return switch (id.toLowerCase(Locale.ROOT)) {
        case "top" -> TOP;
        case "random" -> RANDOM;
        default -> throw new QuarryException("Unknown sampling '" + id + "' (--sampling): use top or random.");
      };
    }
  }

  /** The shape of the rows written. */
  public enum Format {
    TRIPLET, N_TUPLE;

    public static Format fromId(String id) {
      return switch (id.toLowerCase(Locale.ROOT)) {
        case "triplet" -> TRIPLET;
        case "n-tuple" -> N_TUPLE;
        default -> throw new QuarryException("Unknown output format '" + id + "' (--format): use triplet or n-tuple.");
      };
    }

    public String id() {
      return this == TRIPLET ? "triplet" : "n-tuple";
    }
  }

  public MiningOptions {
    if (rangeMin < 0) {
      throw new QuarryException("--range-min must be 0 or more, got " + rangeMin + ".");
    }
    if (rangeMax != null && rangeMax <= rangeMin) {
      throw new QuarryException("--range-max (" + rangeMax + ") must be above --range-min (" + rangeMin + ").");
    }
    if (numNegatives < 1) {
      throw new QuarryException("--num-negatives must be at least 1, got " + numNegatives + ".");
    }
    if (relativeMargin != null && (relativeMargin < 0 || relativeMargin >= 1)) {
      throw new QuarryException("--relative-margin must be in [0, 1), got " + relativeMargin + ".");
    }
    if (absoluteMargin != null && absoluteMargin < 0) {
      throw new QuarryException("--absolute-margin must be 0 or more, got " + absoluteMargin + ".");
    }
  }

  /** sentence-transformers' defaults: 3 negatives, the top ones, as triplets. */
  public static MiningOptions defaults() {
    return new MiningOptions(0, null, null, null, null, null, 3, Sampling.TOP, Format.TRIPLET, 42L);
  }

  /** The rank up to which candidates are considered, for a query with {@code positives} positives. */
  public int effectiveRangeMax(int positives) {
    if (rangeMax != null) {
      return rangeMax;
    }
    boolean filtered = absoluteMargin != null || relativeMargin != null || maxScore != null;
    return rangeMin + (filtered ? 10 * numNegatives : numNegatives) + positives;
  }

  public MiningOptions withRange(int min, Integer max) {
    return new MiningOptions(min, max, absoluteMargin, relativeMargin, maxScore, minScore, numNegatives, sampling, format, seed);
  }

  public MiningOptions withMargins(Double absolute, Double relative) {
    return new MiningOptions(rangeMin, rangeMax, absolute, relative, maxScore, minScore, numNegatives, sampling, format, seed);
  }

  public MiningOptions withNegatives(int n, Sampling s, Format f) {
    return new MiningOptions(rangeMin, rangeMax, absoluteMargin, relativeMargin, maxScore, minScore, n, s, f, seed);
  }
}
