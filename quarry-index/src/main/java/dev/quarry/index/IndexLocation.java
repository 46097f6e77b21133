package dev.quarry.index;

/**
 * Where a corpus's passages live: a local Lucene folder ({@code LuceneIndex.at}) or a SolrCloud
 * collection ({@code SolrTarget}). {@link CorpusIndexer#open} opens, rebuilds and syncs any of them
 * the same way.
 *
 * @param <I> the engine's index type
 */
public interface IndexLocation<I extends PassageIndex> {
  /** Opens the index here for a model's vectors, creating it if absent; another model's index is refused. */
  I open(IndexMetadata metadata, IndexSettings settings);

  /** Deletes the index here, if there is one (a rebuild from scratch). */
  void delete();
}
