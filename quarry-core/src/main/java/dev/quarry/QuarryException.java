package dev.quarry;

/**
 * The user error: bad input, bad files, bad models, bad options (CLI exit code 2, HTTP 4xx).
 * Failures of the environment or of Quarry itself (I/O on writes, a full disk, native errors) are
 * {@link QuarryFailure}s instead (exit 1, HTTP 5xx).
 *
 * <p>Messages name the file, line or field at fault and say what to do about it, because the
 * person reading them is usually looking at a model folder or a data file, not at our code.
 */
public class QuarryException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public QuarryException(String message) {
    super(message);
  }

  public QuarryException(String message, Throwable cause) {
    super(message, cause);
  }
}
