/**
 * The HTTP API and search page ({@link dev.quarry.server.QuarryServer}) over one model and one
 * index, on the JDK's HTTP server. Requests pass {@link dev.quarry.server.RequestChecks} (Host,
 * Origin, Content-Type) and admission (a bounded number at once), then a handler; queries are
 * encoded in micro-batches ({@link dev.quarry.server.MicroBatcher}). Limits live in {@link
 * dev.quarry.server.ServerConfig} and, for connections, {@link dev.quarry.server.ConnectionLimits}.
 *
 * <p>Client faults are answered 4xx with what to change; server faults 5xx with a log reference.
 * Depends on quarry-core and quarry-index; nothing depends on it but the CLI.
 */
package dev.quarry.server;
