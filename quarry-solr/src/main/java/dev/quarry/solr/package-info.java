/**
 * Quarry on SolrCloud: {@link dev.quarry.solr.SolrIndex}, a collection behind the same
 * {@link dev.quarry.index.PassageIndex} seam as the local Lucene index, with the configset Quarry
 * manages ({@link dev.quarry.solr.SolrConfigSet}). Quarry encodes; Solr stores, replicates and searches.
 */
package dev.quarry.solr;
