/**
 * Quarry on SolrCloud: {@link dev.quarry.solr.SolrIndex}, a collection behind the same {@link
 * dev.quarry.index.PassageIndex} seam as the local Lucene index and laid out by the same {@link
 * dev.quarry.index.PassageSchema}, serving the dense and BM25 primitives (the search modes are
 * quarry-index's {@code IndexRetriever}); the configset Quarry manages ({@link
 * dev.quarry.solr.SolrConfigSet}) and the collections it creates ({@link
 * dev.quarry.solr.SolrCollections}); where a collection is ({@link dev.quarry.solr.SolrTarget}, an
 * {@code IndexLocation}) and the options that name it ({@link dev.quarry.solr.SolrOptions}). Quarry
 * encodes; Solr stores, replicates and searches.
 */
package dev.quarry.solr;
