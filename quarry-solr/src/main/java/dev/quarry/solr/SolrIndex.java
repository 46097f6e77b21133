package dev.quarry.solr;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import dev.quarry.QuarryException;
import dev.quarry.QuarryFailure;
import dev.quarry.data.Document;
import dev.quarry.index.IndexMetadata;
import dev.quarry.index.IndexSettings;
import dev.quarry.index.PassageIndex;
import dev.quarry.index.PassageSchema;
import dev.quarry.io.Json;
import dev.quarry.search.Hit;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.lucene.index.VectorSimilarityFunction;
import org.apache.solr.client.solrj.SolrRequest;
import org.apache.solr.client.solrj.SolrServerException;
import org.apache.solr.client.solrj.impl.CloudSolrClient;
import org.apache.solr.client.solrj.request.CollectionAdminRequest;
import org.apache.solr.client.solrj.request.QueryRequest;
import org.apache.solr.client.solrj.response.QueryResponse;
import org.apache.solr.common.SolrDocument;
import org.apache.solr.common.SolrDocumentList;
import org.apache.solr.common.SolrInputDocument;
import org.apache.solr.common.params.ModifiableSolrParams;

/**
 * A SolrCloud collection as Quarry's {@link PassageIndex}: Quarry encodes, Solr stores, replicates
 * and searches. Writes go through SolrJ's CloudSolrClient (routed to each shard's leader) in
 * batches, and {@link #commit()} is a hard commit on every shard, so what the server acknowledges
 * after a commit survives the loss of a node.
 *
 * <p>The model metadata and the corpus-sync progress live in one document of the collection
 * ({@value #META_ID}), written in the same commit as the documents they describe: the progress a
 * resumed sync reads never claims more than Solr holds.
 *
 * <p>Search modes: dense is Solr's {@code {!knn}} (each shard returns its own top candidates; Solr
 * merges them by score and Quarry keeps k); BM25 is the same term query the local index builds, over
 * collection-wide statistics. {@link dev.quarry.index.IndexRetriever} fuses the two for hybrid
 * search as it does locally; exact search is local-only.
 */
public final class SolrIndex implements PassageIndex {
  /** The id of the document that holds the metadata and sync progress. */
  public static final String META_ID = "_quarry_meta_";
  /** Documents per update request: large enough to amortise a round trip, small enough to stay a few MB. */
  private static final int BATCH = 256;

  private final SolrTarget target;
  private final CloudSolrClient client;
  private final IndexMetadata metadata;
  private final IndexSettings settings;
  private final VectorSimilarityFunction similarity;
    /** In-place updates not yet sent; only a corpus sync (one thread) marks documents seen. */
  private final List<SolrInputDocument> pendingSeen = new ArrayList<>();

  private SolrIndex(SolrTarget target, CloudSolrClient client, IndexMetadata metadata, IndexSettings settings) {
    this.target = target;
    this.client = client;
    this.metadata = metadata;
    this.settings = settings;
    this.similarity = PassageSchema.vectorSimilarity(metadata);
  }

  /**
   * Opens the collection for a model, creating it (configset, shards, replicas, metadata) if it does
   * not exist. A collection made for another model, or not by Quarry, is refused.
   */
  public static SolrIndex open(SolrTarget target, IndexMetadata metadata, IndexSettings settings) {
    if (settings.quantized()) {
      throw new QuarryException("Solr 9.10 has no quantised vector field (ScalarQuantizedDenseVectorField comes with Solr 10): leave out"
          + " --int8/--int4 with --solr.");
    }
    CloudSolrClient client = target.client();
    SolrIndex index = new SolrIndex(target, client, metadata, settings);
    try {
      if (!CollectionAdminRequest.listCollections(client).contains(target.collection())) {
        SolrCollections.create(client, target, SolrConfigSet.zip(metadata, settings));
        index.commit(Map.of());
      } else {
        Map<String, String> stored = index.commitData();
        if (stored.isEmpty()) {
          throw new QuarryException(target + " exists but was not made by Quarry (no " + META_ID
              + " document). Use another --collection.");
        }
        IndexMetadata.fromUserData(stored, target.toString()).requireCompatible(metadata, target.toString());
      }
      return index;
    } catch (SolrServerException | IOException | RuntimeException e) {
      index.close();
      if (e instanceof RuntimeException r && (r instanceof QuarryException || r instanceof QuarryFailure)) {
        throw r;
      }
      throw new QuarryFailure("Cannot open " + target + ": " + e.getMessage(), e);
    }
  }

  @Override
  public IndexMetadata metadata() {
    return metadata;
  }

  @Override
  public String location() {
    return target.toString();
  }

  @Override
  public void upsert(List<Document> docs, float[][] vectors, long syncGeneration) {
    send(validated(docs, vectors, syncGeneration, false));
  }

  /**
   * Every document is checked before any is sent. Solr has no transaction across shards: if Solr
   * itself fails part way, the call fails and some documents may be written; the write is
   * idempotent by id, so the client's retry completes it.
   */
  @Override
  public boolean allOrNothing() {
    return false;
  }

  @Override
  public void replaceAtomically(List<Document> docs, float[][] vectors) {
    send(validated(docs, vectors, PassageSchema.NOT_FROM_CORPUS, true));
  }

  private List<SolrInputDocument> validated(List<Document> docs, float[][] vectors, long syncGeneration, boolean uniqueIds) {
    PassageSchema.checkWrite(docs, vectors, metadata.dimension(), uniqueIds);
    List<SolrInputDocument> out = new ArrayList<>(docs.size());
    for (int i = 0; i < docs.size(); i++) {
      Document d = docs.get(i);
      if (d.id().equals(META_ID)) {
        throw new QuarryException("Document id '" + META_ID + "' is reserved for Quarry's metadata.");
      }
      SolrInputDocument s = new SolrInputDocument();
      s.addField(PassageSchema.ID, d.id());
      s.addField(PassageSchema.TITLE, d.title());
      s.addField(PassageSchema.TEXT, d.text());
      s.addField(PassageSchema.CONTENTS, d.fullText());
      List<Float> v = new ArrayList<>(vectors[i].length);
      for (float x : vectors[i]) {
        v.add(x);
      }
      s.addField(PassageSchema.VECTOR, v);
      s.addField(PassageSchema.HASH, PassageSchema.contentHash(d));
      s.addField(PassageSchema.SYNC_GEN, syncGeneration);
      out.add(s);
    }
    return out;
  }

  private void send(List<SolrInputDocument> docs) {
    try {
      for (int from = 0; from < docs.size(); from += BATCH) {
        client.add(target.collection(), docs.subList(from, Math.min(docs.size(), from + BATCH)));
      }
    } catch (SolrServerException | IOException | RuntimeException e) {
      throw new QuarryFailure("Cannot write to " + target + ": " + e.getMessage(), e);
    }
  }

  @Override
  public void delete(List<String> ids) {
    List<String> real = ids.stream().filter(id -> !id.equals(META_ID)).toList();
    if (real.isEmpty()) {
      return;
    }
    try {
      client.deleteById(target.collection(), real);
    } catch (SolrServerException | IOException | RuntimeException e) {
      throw new QuarryFailure("Cannot delete from " + target + ": " + e.getMessage(), e);
    }
  }

  @Override
  public Map<String, String> storedHashes(List<String> ids) {
    Map<String, String> out = new HashMap<>();
    for (SolrDocument d : get(ids, PassageSchema.ID + "," + PassageSchema.HASH)) {
      Object h = d.getFirstValue(PassageSchema.HASH);
      out.put((String) d.getFirstValue(PassageSchema.ID), h == null ? "" : h.toString());
    }
    return out;
  }

  /** Real-time get (sees uncommitted writes), sent as a POST: a chunk's ids would overflow a URL. */
  private SolrDocumentList get(List<String> ids, String fields) {
    if (ids.isEmpty()) {
      return new SolrDocumentList();
    }
    ModifiableSolrParams p = new ModifiableSolrParams();
    p.set("ids", ids.toArray(String[]::new));
    p.set("fl", fields);
    QueryRequest req = new QueryRequest(p, SolrRequest.METHOD.POST);
    req.setPath("/get");
    try {
      return req.process(client, target.collection()).getResults();
    } catch (SolrServerException | IOException | RuntimeException e) {
      throw new QuarryFailure("Cannot read from " + target + ": " + e.getMessage(), e);
    }
  }

  /** An in-place update of the docValues-only generation field: the document is not re-indexed. */
  @Override
  public void markSeen(String id, long generation) {
    SolrInputDocument d = new SolrInputDocument();
    d.addField(PassageSchema.ID, id);
    d.addField(PassageSchema.SYNC_GEN, Map.of("set", generation));
    pendingSeen.add(d);
    if (pendingSeen.size() >= BATCH) {
      flushSeen();
    }
  }

  private void flushSeen() {
    if (!pendingSeen.isEmpty()) {
      send(new ArrayList<>(pendingSeen));
      pendingSeen.clear();
    }
  }

  @Override
  public int deleteUnseen(long generation) {
    flushSeen();
    hardCommit();
    String unseen = PassageSchema.SYNC_GEN + ":[0 TO " + (generation - 1) + "]";
    long n = count(unseen);
    if (n > 0) {
      try {
        client.deleteByQuery(target.collection(), unseen);
      } catch (SolrServerException | IOException | RuntimeException e) {
        throw new QuarryFailure("Cannot delete from " + target + ": " + e.getMessage(), e);
      }
    }
    return (int) n;
  }

  /** A collection never holds chunks: sync by file is served by a local index only (and this saves a round trip per search). */
  @Override
  public boolean holdsChunks() {
    return false;
  }

  @Override
  public Map<String, String> commitData() {
    SolrDocumentList found = get(List.of(META_ID), SolrConfigSet.META);
    if (found.isEmpty()) {
      return Map.of();
    }
    try {
      return Json.reader().forType(new TypeReference<Map<String, String>>() {})
          .readValue((String) found.get(0).getFirstValue(SolrConfigSet.META));
    } catch (IOException e) {
      throw new QuarryException(target + ": the " + META_ID + " document is not Quarry's metadata: " + e.getMessage(), e);
    }
  }

  @Override
  public void commit() {
    flushSeen();
    hardCommit();
  }

  @Override
  public void commit(Map<String, String> extra) {
    flushSeen();
    Map<String, String> data = new HashMap<>(metadata.toUserData());
    data.putAll(extra);
    SolrInputDocument meta = new SolrInputDocument();
    meta.addField(PassageSchema.ID, META_ID);
    try {
      meta.addField(SolrConfigSet.META, Json.writer().writeValueAsString(data));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
    send(List.of(meta));
    hardCommit();
  }

  private void hardCommit() {
    try {
      client.commit(target.collection(), true, true);
    } catch (SolrServerException | IOException | RuntimeException e) {
      throw new QuarryFailure("Cannot commit " + target + ": " + e.getMessage(), e);
    }
  }

  @Override
  public long size() {
    return count("*:*");
  }

  private long count(String query) {
    ModifiableSolrParams p = new ModifiableSolrParams();
    p.set("q", query);
    p.set("fq", "-" + PassageSchema.ID + ":" + META_ID);
    p.set("rows", 0);
    return query(p).getResults().getNumFound();
  }

  /** Real-time get of the passages (sees uncommitted writes), one request for all ids. */
  @Override
  public Map<String, Document> documents(Collection<String> ids) {
    Map<String, Document> out = new HashMap<>();
    for (SolrDocument d : get(ids.stream().filter(id -> !id.equals(META_ID)).toList(), "id,title,text")) {
      String id = (String) d.getFirstValue(PassageSchema.ID);
      out.put(id, new Document(id, (String) d.getFirstValue(PassageSchema.TITLE), (String) d.getFirstValue(PassageSchema.TEXT)));
    }
    return out;
  }

  /**
   * Solr's knn query with as many candidates per shard as the local index explores (efSearch); Solr
   * merges the shards' lists by score, and the first k are kept.
   */
  @Override
  public List<Hit> dense(float[] vector, int k) {
    PassageSchema.checkQueryVector(vector, metadata);
    StringBuilder q = new StringBuilder("{!knn f=" + PassageSchema.VECTOR + " topK=" + Math.max(k, settings.efSearch()) + "}[");
    for (int i = 0; i < vector.length; i++) {
      q.append(i == 0 ? "" : ",").append(vector[i]);
    }
    ModifiableSolrParams p = new ModifiableSolrParams();
    p.set("q", q.append(']').toString());
    return hits(p, k, true);
  }

  /** The local index's BM25 query, term for term: {@code {!term}} clauses are not analysed again. */
  @Override
  public List<Hit> bm25(String text, int k) {
    Map<String, Integer> terms = PassageSchema.queryTerms(text);
    if (terms.isEmpty()) {
      return List.of();
    }
    ModifiableSolrParams p = new ModifiableSolrParams();
    StringBuilder bool = new StringBuilder("{!bool");
    int i = 0;
    for (Map.Entry<String, Integer> t : terms.entrySet()) {
      p.set("t" + i, t.getKey());
      String term = "{!term f=" + PassageSchema.CONTENTS + " v=$t" + i + "}";
      if (t.getValue() == 1) {
        p.set("c" + i, term);
      } else {
        p.set("d" + i, term);
        p.set("c" + i, "{!boost b=" + t.getValue() + " v=$d" + i + "}");
      }
      bool.append(" should=$c").append(i);
      i++;
    }
    p.set("q", bool.append('}').toString());
    return hits(p, k, false);
  }

  private List<Hit> hits(ModifiableSolrParams p, int k, boolean vectorScores) {
    p.set("rows", k);
    p.set("fl", "id,score");
    SolrDocumentList docs = query(p).getResults();
    List<Hit> out = new ArrayList<>(docs.size());
    for (SolrDocument d : docs) {
      float score = ((Number) d.getFirstValue("score")).floatValue();
      out.add(new Hit((String) d.getFirstValue(PassageSchema.ID),
          vectorScores ? PassageSchema.modelScore(similarity, score) : score));
    }
    return out;
  }

  private QueryResponse query(ModifiableSolrParams p) {
    try {
      return client.query(target.collection(), p, SolrRequest.METHOD.POST);
    } catch (SolrServerException | IOException | RuntimeException e) {
      throw new QuarryFailure("Search failed on " + target + ": " + e.getMessage(), e);
    }
  }

  @Override
  public String writeProblem() {
    return null;
  }

  @Override
  public void close() {
    try {
      client.close();
    } catch (IOException e) {
      throw new QuarryFailure("Cannot close the Solr client of " + target + ": " + e.getMessage(), e);
    }
  }
}
