package dev.quarry.index.lucene;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.quarry.data.Document;
import dev.quarry.index.IndexSettings;
import dev.quarry.index.PassageSchema;
import dev.quarry.search.Hit;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.lucene.document.Field;
import org.apache.lucene.document.KnnFloatVectorField;
import org.apache.lucene.document.StoredField;
import org.apache.lucene.document.StringField;
import org.apache.lucene.document.TextField;
import org.apache.lucene.index.DirectoryReader;
import org.apache.lucene.index.DocValuesType;
import org.apache.lucene.index.IndexWriter;
import org.apache.lucene.index.IndexWriterConfig;
import org.apache.lucene.index.LeafReaderContext;
import org.apache.lucene.index.SegmentInfos;
import org.apache.lucene.store.Directory;
import org.apache.lucene.store.FSDirectory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * How hits get their ids: from the id column (doc values) in segments that have it, and from the
 * stored id in segments written before the column existed, so an index built by an earlier Quarry
 * still names every hit.
 */
class HitIdsTest {
  @TempDir Path tmp;

  @Test
  void newSegmentsCarryTheIdColumnAndOldSegmentsAreNamedThroughTheirStoredIds() throws Exception {
    float[][] vectors = QueryReadyIndexTest.unitVectors(40, 7);
    Path dir = tmp.resolve("idx");
    IndexSettings oneThread = IndexSettings.defaults().withThreads(1, 1);
    try (LuceneIndex index = LuceneIndex.open(dir, QueryReadyIndexTest.META, oneThread)) {
      List<Document> docs = new ArrayList<>();
      for (int i = 0; i < 20; i++) {
        docs.add(new Document("new-" + i, "", "passage " + i));
      }
      index.upsert(docs, java.util.Arrays.copyOf(vectors, 20));
      index.commit();
    }
    // A segment as Quarry wrote it before the id column: the same fields without it.
    try (Directory d = FSDirectory.open(dir);
        IndexWriter w = new IndexWriter(d, new IndexWriterConfig(PassageSchema.analyzer()).setMergePolicy(org.apache.lucene.index.NoMergePolicy.INSTANCE))) {
      Map<String, String> userData = new HashMap<>(SegmentInfos.readLatestCommit(d).getUserData());
      for (int i = 20; i < 40; i++) {
        org.apache.lucene.document.Document doc = new org.apache.lucene.document.Document();
        doc.add(new StringField(PassageSchema.ID, "old-" + i, Field.Store.YES));
        doc.add(new StoredField(PassageSchema.TITLE, ""));
        doc.add(new StoredField(PassageSchema.TEXT, "passage " + i));
        doc.add(new TextField(PassageSchema.CONTENTS, "passage " + i, Field.Store.NO));
        doc.add(new KnnFloatVectorField(PassageSchema.VECTOR, vectors[i], PassageSchema.vectorSimilarity(QueryReadyIndexTest.META)));
        w.addDocument(doc);
      }
      w.setLiveCommitData(userData.entrySet());
      w.commit();
    }
    try (Directory d = FSDirectory.open(dir); DirectoryReader r = DirectoryReader.open(d)) {
      List<LeafReaderContext> leaves = r.leaves();
      assertEquals(2, leaves.size());
      assertEquals(DocValuesType.BINARY, leaves.get(0).reader().getFieldInfos().fieldInfo(PassageSchema.ID_COLUMN).getDocValuesType(),
          "Quarry's segment has the id column");
      assertEquals(null, leaves.get(1).reader().getFieldInfos().fieldInfo(PassageSchema.ID_COLUMN), "the old segment has none");
    }
    try (LuceneIndex index = LuceneIndex.open(dir, QueryReadyIndexTest.META, oneThread)) {
      for (int i = 0; i < 40; i++) {
        String want = (i < 20 ? "new-" : "old-") + i;
        assertEquals(want, index.exact(vectors[i], 1).get(0).id(), "exact search names vector " + i);
        List<Hit> dense = index.dense(vectors[i], 3);
        assertEquals(want, dense.get(0).id(), "HNSW names vector " + i);
      }
      assertEquals("passage 25", index.documents(List.of("old-25")).get("old-25").text());
      java.util.Set<String> bm25 = new java.util.HashSet<>();
      index.bm25("passage", 40).forEach(h -> bm25.add(h.id()));
      assertEquals(40, bm25.size(), "BM25 names every passage of both segments: " + bm25);
    }
  }
}
