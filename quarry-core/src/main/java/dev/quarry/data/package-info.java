/** Data sets on disk: line-oriented readers and BEIR-layout corpora, queries and qrels. */
package dev.quarry.data;
