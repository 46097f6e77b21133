package dev.quarry.index.lucene;

import dev.quarry.search.Hit;
import java.util.List;

/**
 * A dense search's hits and what it read: the graph nodes it scored (each one vector in the
 * graph's encoding) and the float vectors it rescored with (quantised indexes only).
 *
 * @param visited graph nodes whose vectors were compared with the query, over all segments
 * @param rescored float vectors read to rescore the graph's candidates (0 for a float index)
 */
public record DenseSearch(List<Hit> hits, long visited, int rescored) {}
