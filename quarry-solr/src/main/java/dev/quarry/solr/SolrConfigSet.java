package dev.quarry.solr;

import dev.quarry.index.IndexMetadata;
import dev.quarry.index.IndexSettings;
import dev.quarry.index.PassageSchema;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.apache.lucene.analysis.en.EnglishAnalyzer;

/**
 * The configset Quarry uploads for a collection: the same fields, analysis and scoring as the local
 * Lucene index, so a corpus ranks the same on Solr as on one machine.
 *
 * <ul>
 *   <li>{@code contents}: title + text, analysed as Lucene's EnglishAnalyzer (standard tokenizer,
 *       possessives, lower case, its stop words written out from the analyzer itself, Porter), BM25 with
 *       k1 0.9 and b 0.4;
 *   <li>{@code vector}: a DenseVectorField of the model's dimension and similarity, HNSW M and beam width;
 *   <li>{@code sync_gen}: a docValues-only long, so a corpus sync marks unchanged documents seen with
 *       in-place updates;
 *   <li>{@code statsCache} ExactStatsCache: BM25's document frequencies and average length over the
 *       whole collection, not per shard, which is what makes sharded BM25 equal the local one.
 * </ul>
 */
final class SolrConfigSet {
  // Field names are the local index's (PassageSchema.ID, TITLE, TEXT, CONTENTS, VECTOR, HASH, SYNC_GEN).
  /** The stored key-value pairs of the metadata document (JSON). */
  static final String META = "quarry_meta";

  private SolrConfigSet() {}

  /** The configset as a zip, what Solr's configset upload takes. */
  static byte[] zip(IndexMetadata metadata, IndexSettings settings) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (ZipOutputStream zip = new ZipOutputStream(bytes)) {
      for (Map.Entry<String, String> f : Map.of("solrconfig.xml", solrConfig(), "schema.xml", schema(metadata, settings),
          "stopwords_en.txt", stopwords()).entrySet()) {
        zip.putNextEntry(new ZipEntry(f.getKey()));
        zip.write(f.getValue().getBytes(StandardCharsets.UTF_8));
        zip.closeEntry();
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return bytes.toByteArray();
  }

  static String schema(IndexMetadata metadata, IndexSettings settings) {
    String similarity = switch (PassageSchema.vectorSimilarity(metadata)) {
      case DOT_PRODUCT -> "dot_product";
      case COSINE -> "cosine";
      case EUCLIDEAN -> "euclidean";
      case MAXIMUM_INNER_PRODUCT -> "max_inner_product";
    };
    return String.format(Locale.ROOT, """
        <?xml version="1.0" encoding="UTF-8"?>
        <!-- Written by Quarry for %s (fingerprint %s): do not edit, Quarry checks the model against it. -->
        <schema name="quarry" version="1.6">
          <uniqueKey>id</uniqueKey>
          <fieldType name="string" class="solr.StrField" sortMissingLast="true"/>
          <fieldType name="plong" class="solr.LongPointField"/>
          <fieldType name="text_quarry" class="solr.TextField" positionIncrementGap="100">
            <analyzer>
              <tokenizer class="solr.StandardTokenizerFactory"/>
              <filter class="solr.EnglishPossessiveFilterFactory"/>
              <filter class="solr.LowerCaseFilterFactory"/>
              <filter class="solr.StopFilterFactory" words="stopwords_en.txt" ignoreCase="false"/>
              <filter class="solr.PorterStemFilterFactory"/>
            </analyzer>
          </fieldType>
          <fieldType name="knn_vector" class="solr.DenseVectorField" vectorDimension="%d" similarityFunction="%s"
                     knnAlgorithm="hnsw" hnswMaxConnections="%d" hnswBeamWidth="%d"/>
          <field name="id" type="string" indexed="true" stored="true" docValues="true" required="true"/>
          <field name="title" type="string" indexed="false" stored="true" docValues="false"/>
          <field name="text" type="string" indexed="false" stored="true" docValues="false"/>
          <field name="contents" type="text_quarry" indexed="true" stored="false"/>
          <field name="vector" type="knn_vector" indexed="true" stored="false"/>
          <field name="hash" type="string" indexed="false" stored="true" docValues="false"/>
          <field name="sync_gen" type="plong" indexed="false" stored="false" docValues="true" useDocValuesAsStored="false"/>
          <field name="quarry_meta" type="string" indexed="false" stored="true" docValues="false"/>
          <field name="_version_" type="plong" indexed="false" stored="false" docValues="true"/>
          <similarity class="solr.BM25SimilarityFactory">
            <float name="k1">%s</float>
            <float name="b">%s</float>
          </similarity>
        </schema>
        """, metadata.modelId(), metadata.modelFingerprint(), metadata.dimension(), similarity, settings.maxConn(),
        settings.beamWidth(), Float.toString(PassageSchema.BM25_K1), Float.toString(PassageSchema.BM25_B));
  }

  static String solrConfig() {
    return """
        <?xml version="1.0" encoding="UTF-8"?>
        <config>
          <luceneMatchVersion>9.12</luceneMatchVersion>
          <schemaFactory class="ClassicIndexSchemaFactory"/>
          <codecFactory class="solr.SchemaCodecFactory"/>
          <directoryFactory name="DirectoryFactory" class="${solr.directoryFactory:solr.NRTCachingDirectoryFactory}"/>
          <!-- Collection-wide term statistics: sharded BM25 scores as one index would. -->
          <statsCache class="org.apache.solr.search.stats.ExactStatsCache"/>
          <updateHandler class="solr.DirectUpdateHandler2">
            <updateLog><str name="dir">${solr.ulog.dir:}</str></updateLog>
            <!-- Quarry commits explicitly before it acknowledges a write; this bounds the log of a stray writer. -->
            <autoCommit><maxTime>60000</maxTime><openSearcher>false</openSearcher></autoCommit>
          </updateHandler>
          <query>
            <maxBooleanClauses>${solr.max.booleanClauses:1024}</maxBooleanClauses>
          </query>
          <requestHandler name="/select" class="solr.SearchHandler">
            <lst name="defaults"><str name="echoParams">none</str></lst>
          </requestHandler>
        </config>
        """;
  }

  /** Lucene's English stop words, one per line: the configset's StopFilter uses exactly the analyzer's set. */
  static String stopwords() {
    TreeSet<String> words = new TreeSet<>();
    for (Object w : EnglishAnalyzer.ENGLISH_STOP_WORDS_SET) {
      words.add(new String((char[]) w));
    }
    return String.join("\n", words) + "\n";
  }
}
