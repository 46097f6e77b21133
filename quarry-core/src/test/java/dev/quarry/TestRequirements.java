package dev.quarry;

import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * What a test needs from outside the repository (the shared datasets, a browser): without it the
 * test is skipped on a developer's machine, saying what is missing, but fails where {@code
 * QUARRY_REQUIRE_ALL} is set (as {@code .ci/run} does) or {@code -Dquarry.requireAll=true} is given,
 * so that CI can never pass by skipping.
 */
public final class TestRequirements {
  private TestRequirements() {}

  /** True when every requirement must be met (CI). */
  public static boolean requireAll() {
    String env = System.getenv("QUARRY_REQUIRE_ALL");
    return Boolean.getBoolean("quarry.requireAll") || env != null && (env.equals("1") || env.equalsIgnoreCase("true"));
  }

  /** Skips the test (or fails it under {@link #requireAll()}) unless {@code present}; {@code what} says what is missing. */
  public static void require(boolean present, String what) {
    if (!present && requireAll()) {
      fail(what + " [QUARRY_REQUIRE_ALL is set: a CI run must not pass by skipping this test]");
    }
    assumeTrue(present, what);
  }
}
