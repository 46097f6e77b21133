package dev.quarry;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.opentest4j.AssertionFailedError;
import org.opentest4j.TestAbortedException;

/** A missing requirement skips a test, except where every requirement is required: then it fails. */
class TestRequirementsTest {
  @Test
  void aMissingRequirementSkipsOrFailsAsTheSettingSays() {
    String before = System.getProperty("quarry.requireAll");
    try {
      System.setProperty("quarry.requireAll", "true");
      AssertionFailedError failed = assertThrows(AssertionFailedError.class, () -> TestRequirements.require(false, "SciFact is absent"));
      assertTrue(failed.getMessage().contains("SciFact is absent") && failed.getMessage().contains("QUARRY_REQUIRE_ALL"), failed.getMessage());
      TestRequirements.require(true, "present: nothing happens");
      if (System.getenv("QUARRY_REQUIRE_ALL") == null) {
        System.setProperty("quarry.requireAll", "false");
        assertThrows(TestAbortedException.class, () -> TestRequirements.require(false, "SciFact is absent"));
      }
    } finally {
      if (before == null) {
        System.clearProperty("quarry.requireAll");
      } else {
        System.setProperty("quarry.requireAll", before);
      }
    }
  }
}
