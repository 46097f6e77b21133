package dev.quarry.train.optim;

import ai.djl.ndarray.NDArray;
import java.util.Collection;

/** {@code torch.nn.utils.clip_grad_norm_}: scales all gradients so that their global L2 norm is at most max. */
public final class GradientClipping {
  private GradientClipping() {}

  /**
   * Clips in place.
   *
   * @return the global norm before clipping
   */
  public static double clipGlobalNorm(Collection<NDArray> params, double maxNorm) {
    double sumSq = 0;
    for (NDArray p : params) {
      try (NDArray g = p.getGradient(); NDArray sq = g.square(); NDArray s = sq.sum()) {
        sumSq += s.getFloat();
      }
    }
    double norm = Math.sqrt(sumSq);
    double coef = maxNorm / (norm + 1e-6);
    if (coef < 1) {
      for (NDArray p : params) {
        try (NDArray g = p.getGradient()) {
          g.muli((float) coef);
        }
      }
    }
    return norm;
  }
}
