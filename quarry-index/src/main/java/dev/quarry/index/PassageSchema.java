package dev.quarry.index;

import dev.quarry.Digests;
import dev.quarry.QuarryException;
import dev.quarry.data.Document;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.lucene.analysis.Analyzer;
import org.apache.lucene.analysis.TokenStream;
import org.apache.lucene.analysis.en.EnglishAnalyzer;
import org.apache.lucene.analysis.tokenattributes.CharTermAttribute;
import org.apache.lucene.index.VectorSimilarityFunction;
import org.apache.lucene.search.IndexSearcher;

/**
 * What a stored passage is, whichever engine stores it: its fields, the checks a write passes before
 * any of it is applied, its content digest, the BM25 analysis of its text and of a query, and how
 * vector scores map back to the model's similarity. A local Lucene index and a SolrCloud collection
 * (whose configset spells out the same fields and analysis) both follow it, which is why their
 * answers agree.
 */
public final class PassageSchema {
  public static final String ID = "id";
  /**
   * The id again, as a doc-values column: what a search reads to name its hits (a few bytes at a
   * known offset) instead of decompressing a stored-fields block per hit. Its own field, because
   * Lucene will not add doc values to the indexed {@code id} of an existing index; segments written
   * before it existed are read through the stored id.
   */
  public static final String ID_COLUMN = "id_column";
  public static final String TITLE = "title";
  public static final String TEXT = "text";
  /** Title and text, analysed for BM25 (not stored). */
  public static final String CONTENTS = "contents";
  public static final String VECTOR = "vector";
  /** A digest of title and text: what an incremental sync compares to skip unchanged documents. */
  public static final String HASH = "hash";
  /** The corpus sync that last saw the document; {@link #NOT_FROM_CORPUS} for documents written through the API. */
  public static final String SYNC_GEN = "sync_gen";
  /** A chunk's document id ({@link Document.Origin#documentId()}), stored. */
  public static final String DOC = "doc";
  /** A chunk's file path, page and character offsets ({@link Document.Origin}), stored. */
  public static final String PATH = "path";
  public static final String PAGE = "page";
  public static final String START = "start";
  public static final String END = "end";
  /** The source (file) a chunk was synced from: indexed, so a changed file's chunks are replaced as one block. */
  public static final String SOURCE = "source";
  /** The source's size, modification time and SHA-256 when it was synced ({@link SourceStamp}), as doc values. */
  public static final String SOURCE_SIZE = "source_size";
  public static final String SOURCE_MTIME = "source_mtime";
  public static final String SOURCE_SHA256 = "source_sha256";
  /** Commit-data key: the chunking an index of chunks was built with ("tokens/overlap"). */
  public static final String CHUNKING = "quarry.corpus.chunking"; // kept by every commit, as sync progress is
  /** Never deleted by a sync: the corpus file does not know these documents. */
  public static final long NOT_FROM_CORPUS = -1;
  /** Longest document id, in UTF-8 bytes. */
  public static final int MAX_ID_BYTES = 512;
  /** Anserini's BM25 parameters for BEIR (its "flat" regressions). */
  public static final float BM25_K1 = 0.9f;
  public static final float BM25_B = 0.4f;
  /** The commit-data keys that record a corpus sync's progress (kept by every commit). */
  public static final String SYNC_PROGRESS_PREFIX = "quarry.corpus.";

  /**
   * Lucene's English analysis: standard tokenizer, possessives, lower case, its 33 stop words,
   * Porter stemmer. quarry-solr's configset spells out the same chain for Solr.
   */
  private static final Analyzer QUERY_ANALYZER = new EnglishAnalyzer();

  private PassageSchema() {}

  /** The analysis of {@link #CONTENTS} (a new analyzer: each index owns and closes its own). */
  public static Analyzer analyzer() {
    return new EnglishAnalyzer();
  }

  /** Marks the words of a passage that BM25 would match for a query. */
  public static Highlighter highlighter() {
    return new Highlighter(analyzer(), CONTENTS);
  }

  /**
   * A BM25 query's terms as the index analyses them, each with how often it occurs. A repeated term
   * adds its score once per occurrence; one clause boosted by the count scores the same and keeps
   * "bee bee bee ..." under Lucene's clause limit. Every engine builds its BM25 query from this.
   */
  public static Map<String, Integer> queryTerms(String query) {
    Map<String, Integer> counts = new LinkedHashMap<>();
    try (TokenStream ts = QUERY_ANALYZER.tokenStream(CONTENTS, query)) {
      CharTermAttribute term = ts.addAttribute(CharTermAttribute.class);
      ts.reset();
      while (ts.incrementToken()) {
        counts.merge(term.toString(), 1, Integer::sum);
      }
      ts.end();
    } catch (IOException e) {
      throw new IllegalStateException(e); // analysing a String does no I/O
    }
    if (counts.size() > IndexSearcher.getMaxClauseCount()) {
      throw new QuarryException("The query has " + counts.size() + " distinct terms; BM25 searches at most "
          + IndexSearcher.getMaxClauseCount() + ". Shorten the query.");
    }
    return counts;
  }

  /** How deep each list fused by hybrid search goes for a top-k answer: 100, or k if more. */
  public static int hybridDepth(int k) {
    return Math.max(k, 100);
  }

  /**
   * What every engine checks before a write, so that a bad document fails the write before any of it
   * is applied: one vector per document, valid ids (and, for all-or-nothing writes, each once), the
   * index's dimension.
   */
  public static void checkWrite(List<Document> docs, float[][] vectors, int dimension, boolean uniqueIds) {
    if (docs.size() != vectors.length) {
      throw new IllegalArgumentException(docs.size() + " documents but " + vectors.length + " vectors");
    }
    Set<String> seen = new HashSet<>();
    for (int i = 0; i < docs.size(); i++) {
      Document d = docs.get(i);
      checkId(d.id());
      if (uniqueIds && !seen.add(d.id())) {
        throw new QuarryException("Document id '" + abbreviate(d.id()) + "' appears twice in one write; send each id once.");
      }
      if (vectors[i].length != dimension) {
        throw new QuarryException("Document " + abbreviate(d.id()) + " has a " + vectors[i].length
            + "-d vector; the index holds " + dimension + "-d vectors.");
      }
    }
  }

  /**
   * Ids are indexed as one term, and Lucene refuses terms over 32,766 bytes ("immense term") in the
   * middle of a write; a far smaller cap keeps ids usable in URLs and logs.
   */
  public static void checkId(String id) {
    int bytes = id.getBytes(StandardCharsets.UTF_8).length;
    if (bytes == 0 || bytes > MAX_ID_BYTES) {
      throw new QuarryException("Document id '" + abbreviate(id) + "' is " + bytes + " bytes of UTF-8; ids must be 1 to "
          + MAX_ID_BYTES + " bytes.");
    }
  }

  /** A query vector of the wrong size, refused before it reaches an engine. */
  public static void checkQueryVector(float[] vector, IndexMetadata metadata) {
    if (vector == null) {
      throw new IllegalArgumentException("this search mode needs the query vector");
    }
    if (vector.length != metadata.dimension()) {
      throw new QuarryException("The query vector is " + vector.length + "-d; the index holds " + metadata.dimension() + "-d vectors.");
    }
  }

  private static String abbreviate(String s) {
    return s.length() <= 40 ? s : s.substring(0, 40) + "...";
  }

  /** SHA-256 of title and text (first 128 bits, hex): equal digests mean an unchanged document. */
  public static String contentHash(Document d) {
    MessageDigest md = Digests.sha256();
    md.update(d.title().getBytes(StandardCharsets.UTF_8));
    md.update((byte) 0);
    md.update(d.text().getBytes(StandardCharsets.UTF_8));
    return HexFormat.of().formatHex(md.digest(), 0, 16);
  }

  /**
   * Lucene's similarity for the model's: unit vectors use DOT_PRODUCT (cosine without the norms),
   * dot products of other vectors need MAXIMUM_INNER_PRODUCT. Manhattan has no HNSW equivalent.
   * Solr's dense vector field takes the same names.
   */
  public static VectorSimilarityFunction vectorSimilarity(IndexMetadata m) {
    return switch (m.similarity()) {
      case COSINE -> m.normalized() ? VectorSimilarityFunction.DOT_PRODUCT : VectorSimilarityFunction.COSINE;
      case DOT -> m.normalized() ? VectorSimilarityFunction.DOT_PRODUCT : VectorSimilarityFunction.MAXIMUM_INNER_PRODUCT;
      case EUCLIDEAN -> VectorSimilarityFunction.EUCLIDEAN;
      case MANHATTAN -> throw new QuarryException("Lucene's HNSW has no Manhattan distance; index with cosine, dot or euclidean.");
    };
  }

  /**
   * The model's similarity from the score Lucene (or Solr's knn query) gives a vector hit: undoes
   * Lucene's mapping of similarities onto non-negative scores, so hits show the model's own score.
   */
  public static float modelScore(VectorSimilarityFunction similarity, float engineScore) {
    return switch (similarity) {
      case DOT_PRODUCT, COSINE -> 2 * engineScore - 1;
      case MAXIMUM_INNER_PRODUCT -> engineScore < 1 ? 1 - 1 / engineScore : engineScore - 1;
      case EUCLIDEAN -> (float) -Math.sqrt(Math.max(0, 1 / engineScore - 1));
    };
  }
}
