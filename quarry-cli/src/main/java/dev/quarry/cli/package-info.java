/**
 * The {@code quarry} command line (picocli): one class per subcommand, and option mixins shared by
 * them ({@code ModelOptions}, {@code DatasetOptions}, {@code IndexOptions}, quarry-solr's {@code
 * SolrOptions}). Commands parse options and call the library ({@code CorpusIndexer}, {@code
 * Searcher}, {@code InformationRetrievalEvaluator}, {@code FineTuning}, ...); what a command does
 * is doable from the library without copying code from here. Exit codes: 0, 2 for user errors
 * ({@link dev.quarry.QuarryException}), 1 for failures ({@link dev.quarry.QuarryFailure}).
 */
package dev.quarry.cli;
