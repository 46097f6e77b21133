package dev.quarry.spark;

import java.io.Serializable;
import java.util.Iterator;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.sql.Row;

/**
 * A test hook (the job's hidden {@code --fail-once-in}): the first attempt of one partition's task
 * fails inside a stage, part-way through its output, so that tests can check that Spark's retry
 * leaves every id exactly once in every sink. Never set in use.
 *
 * @param stage {@code encode}, {@code parquet}, {@code lucene} or {@code solr}
 */
record InjectedFault(String stage, int partition) implements Serializable {
  static final InjectedFault NONE = new InjectedFault("", -1);

  /** True in the task attempt that must fail. */
  boolean firesHere() {
    TaskContext task = TaskContext.get();
    return partition >= 0 && task != null && task.partitionId() == partition && task.attemptNumber() == 0;
  }

  IllegalStateException failure(String where) {
    return new IllegalStateException("injected failure in " + stage + " (" + where + "), partition " + partition + ", attempt 0");
  }

  /** Passes rows through, and in the failing attempt throws after {@code rows} of them. */
  MapPartitionsFunction<Row, Row> afterRows(int rows) {
    InjectedFault fault = this;
    return input -> {
      boolean fire = fault.firesHere();
      return new Iterator<>() {
        private int passed;

        @Override
        public boolean hasNext() {
          return input.hasNext();
        }

        @Override
        public Row next() {
          if (fire && passed == rows) {
            throw fault.failure(rows + " rows already written");
          }
          passed++;
          return input.next();
        }
      };
    };
  }
}
