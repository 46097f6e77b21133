package dev.quarry;

/**
 * The one unchecked exception Quarry throws for bad input, bad files and bad models.
 *
 * <p>Messages name the file, line or field at fault and say what to do about it, because the
 * person reading them is usually looking at a model folder or a data file, not at our code.
 */
public class QuarryException extends RuntimeException {
  public QuarryException(String message) {
    super(message);
  }

  public QuarryException(String message, Throwable cause) {
    super(message, cause);
  }
}
