/**
 * The {@code quarry} command line (picocli): one class per subcommand, and option mixins shared by
 * them ({@code ModelOptions}, {@code DatasetOptions}, {@code IndexOptions}). Commands parse options
 * and call the library; what a command does should be doable from the library without copying code
 * from here. Exit codes: 0, 2 for user errors ({@link dev.quarry.QuarryException}), 1 for failures
 * ({@link dev.quarry.QuarryFailure}).
 */
package dev.quarry.cli;
