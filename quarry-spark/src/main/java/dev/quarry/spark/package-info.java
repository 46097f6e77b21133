/**
 * Quarry on Apache Spark: {@link dev.quarry.spark.SparkEncodeJob} encodes a corpus table with one
 * shared model per executor and lands it as Parquet, in a SolrCloud collection or in a Quarry index.
 */
package dev.quarry.spark;
