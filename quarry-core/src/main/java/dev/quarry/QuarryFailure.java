package dev.quarry;

/**
 * The environment or Quarry itself failed, not the caller's input: an I/O error on a write, a full
 * disk, a native library error. Changing the request would not help, so the CLI exits with 1 (not
 * 2) and the server answers 5xx with a reference to its log, never with this message, which may
 * name server-side paths.
 *
 * <p>Its sibling {@link QuarryException} is the user error: bad input, a bad file or option, with a
 * message that says what to change (exit 2, HTTP 4xx).
 */
public class QuarryFailure extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public QuarryFailure(String message, Throwable cause) {
    super(message, cause);
  }
}
