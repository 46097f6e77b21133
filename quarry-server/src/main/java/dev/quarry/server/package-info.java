/**
 * The HTTP API and search page ({@link dev.quarry.server.QuarryServer}) over one model and one
 * passage index, on the JDK's HTTP server. Every request passes the {@link
 * dev.quarry.server.RequestPipeline} ({@link dev.quarry.server.RequestChecks}: Host, Origin,
 * Content-Type; the token; the body; the embedding reservation and admission), then a handler of
 * one API family: Quarry's own ({@link dev.quarry.server.QuarryApi}: search through a {@code
 * Searcher}, encode; {@link dev.quarry.server.DocumentsApi}: writes) and the ones clients already
 * speak ({@link dev.quarry.server.OpenAiApi}, {@link dev.quarry.server.TeiApi}, {@link
 * dev.quarry.server.CohereRerankApi}). Queries are encoded in micro-batches ({@link
 * dev.quarry.server.MicroBatcher}), passages through the {@link dev.quarry.server.EmbeddingService},
 * rerank pairs through the {@link dev.quarry.server.PairScorer}. Limits live in {@link
 * dev.quarry.server.ServerConfig} and, for connections, {@link dev.quarry.server.ConnectionLimits}.
 *
 * <p>Client faults are answered 4xx with what to change; server faults 5xx with a log reference.
 * Depends on quarry-core and quarry-index; nothing depends on it but the CLI.
 */
package dev.quarry.server;
