package dev.quarry.encode;

/** Told how many texts are done after each batch; called from encoding threads. */
@FunctionalInterface
public interface ProgressListener {
  ProgressListener NONE = (done, total) -> { };

  void onProgress(int done, int total);
}
