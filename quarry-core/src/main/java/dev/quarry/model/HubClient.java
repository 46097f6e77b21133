package dev.quarry.model;

import com.fasterxml.jackson.databind.JsonNode;
import dev.quarry.Digests;
import dev.quarry.QuarryException;
import dev.quarry.QuarryFailure;
import dev.quarry.io.Json;
import dev.quarry.io.SafeFiles;
import dev.quarry.io.StallGuard;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Downloads sentence-transformers model folders from a Hugging Face–compatible hub into a local
 * cache laid out as {@code huggingface_hub} lays out its own
 * ({@code models--org--name/snapshots/<commit>/...}, {@code refs/<revision>}).
 *
 * <p>Downloads resume: bytes already in {@code <file>.incomplete} are kept and the rest is asked
 * for with an HTTP Range request. Every file is verified before it is moved into place — LFS files
 * by their SHA-256, others by their git blob id — so a snapshot folder never holds a partial or
 * corrupt file. Only the files Quarry needs are fetched (configs, tokenizer, the ONNX graph,
 * Dense weights), not the PyTorch or other-framework weights.
 *
 * <p>Safety: the token goes only to the configured hub's own host, never along a redirect to a CDN
 * and never over plain http unless that is allowed explicitly; two processes fetching the same file
 * take turns through a file lock; a resumed download is appended only where the server's {@code
 * Content-Range} says it starts; a body that stalls for longer than the read timeout is abandoned
 * (and resumes next time); and every file is on disk (fsync) before the snapshot is marked complete.
 *
 * <p>Why one class of over 400 lines: the guarantees above hold only together (a resumed body is
 * verified against the listing it was resumed for, under the lock that admitted it), and they are
 * read and reviewed as one protocol; its parts (listing, ranged transfer, verification, snapshot
 * commit) are private steps of it, not reusable on their own.
 */
public final class HubClient {
  public static final String DEFAULT_ENDPOINT = "https://huggingface.co";
  private static final Pattern REPO_ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]*/[A-Za-z0-9][A-Za-z0-9._-]*");
  private static final String COMPLETE_MARKER = ".quarry-complete";

  private final String endpoint;
  private final Path cacheDir;
  private final boolean offline;
  private final String token;
  private final HttpClient http;
  private final Consumer<String> log;
  private final Settings settings;
  private final URI hubUri;

  /**
   * Network settings.
   *
   * @param readTimeout longest wait for the next bytes of a download before it is abandoned
   * @param tokenOverPlainHttp send the token to an {@code http://} hub (only for a hub on a trusted
   *     network; tokens in clear text can be read on the way)
   */
  public record Settings(Duration readTimeout, boolean tokenOverPlainHttp) {
    public static Settings defaults() {
      return new Settings(Duration.ofSeconds(60), false);
    }
  }

  /**
   * @param endpoint hub base URL, e.g. https://huggingface.co or a mirror
   * @param cacheDir where snapshots are kept ({@code <cacheDir>/hub/...})
   * @param offline never touch the network; only cached snapshots resolve
   * @param token bearer token for gated or private repositories, or null
   * @param log receives one line per downloaded file
   */
  public HubClient(String endpoint, Path cacheDir, boolean offline, String token, Consumer<String> log) {
    this(endpoint, cacheDir, offline, token, log, Settings.defaults());
  }

  public HubClient(String endpoint, Path cacheDir, boolean offline, String token, Consumer<String> log, Settings settings) {
    this.endpoint = endpoint.endsWith("/") ? endpoint.substring(0, endpoint.length() - 1) : endpoint;
    this.hubUri = URI.create(this.endpoint);
    this.cacheDir = cacheDir.resolve("hub");
    this.offline = offline;
    this.token = token;
    this.log = log;
    this.settings = settings;
    // Redirects are followed by hand (send), so that the token never travels to another host.
    this.http = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER)
        .connectTimeout(Duration.ofSeconds(30)).build();
  }

  /** True if {@code spec} looks like a hub repository id ({@code org/name}). */
  public static boolean isRepoId(String spec) {
    return REPO_ID.matcher(spec).matches();
  }

  /**
   * Returns the local snapshot folder of {@code repoId} at {@code revision} (branch, tag or commit),
   * downloading what is missing unless offline.
   */
  public Path snapshot(String repoId, String revision) {
    return snapshot(repoId, revision, List.of());
  }

  /**
   * As {@link #snapshot(String, String)}, also fetching the repository's {@code extraFiles} (e.g.
   * {@code onnx/model_qint8_avx512_vnni.onnx}, a quantised variant), into a snapshot that may be
   * complete without them. A requested file the repository lacks is an error naming what it has.
   */
  public Path snapshot(String repoId, String revision, List<String> extraFiles) {
    if (!isRepoId(repoId)) {
      throw new QuarryException("'" + repoId + "' is not a hub repository id (expected org/name).");
    }
    Path repoDir = cacheDir.resolve("models--" + repoId.replace("/", "--"));
    if (offline) {
      Path cached = cachedSnapshot(repoDir, repoId, revision);
      for (String extra : extraFiles) {
        if (!Files.isRegularFile(cached.resolve(extra))) {
          throw new QuarryException("Offline mode: " + extra + " of " + repoId + " is not in the cache " + cached
              + ". Run once with network access to download it.");
        }
      }
      return cached;
    }
    JsonNode info = getJson(endpoint + "/api/models/" + repoId + "/revision/" + encode(revision) + "?blobs=true",
        repoId, revision);
    String commit = info.path("sha").asText(null);
    if (commit == null || !commit.matches("[0-9a-f]{40}")) {
      throw new QuarryException("The hub's answer for " + repoId + "@" + revision + " has no commit sha.");
    }
    Path snapshot = repoDir.resolve("snapshots").resolve(commit);
    List<JsonNode> extras = new ArrayList<>();
    for (String extra : extraFiles) {
      JsonNode file = null;
      List<String> onnx = new ArrayList<>();
      for (JsonNode sibling : info.path("siblings")) {
        String name = sibling.path("rfilename").asText();
        file = name.equals(extra) ? sibling : file;
        if (name.endsWith(".onnx")) {
          onnx.add(name);
        }
      }
      if (file == null) {
        throw new QuarryException(repoId + "@" + revision + " has no file " + extra + ". Its ONNX files: " + onnx + ".");
      }
      extras.add(file);
    }
    for (JsonNode file : extras) {
      fetchVerified(repoId, commit, file, snapshot); // a no-op when already there
    }
    if (!Files.exists(snapshot.resolve(COMPLETE_MARKER))) {
      List<JsonNode> wanted = selectFiles(info.path("siblings"));
      for (JsonNode file : wanted) {
        fetchVerified(repoId, commit, file, snapshot);
      }
      try {
        SafeFiles.syncTree(snapshot); // the files are durable before the marker says so
        SafeFiles.writeDurably(snapshot.resolve(COMPLETE_MARKER), "");
      } catch (IOException e) {
        throw new QuarryFailure("Cannot write the snapshot " + snapshot + ": " + e.getMessage(), e);
      }
    }
    writeRef(repoDir, revision, commit);
    return snapshot;
  }

  private Path cachedSnapshot(Path repoDir, String repoId, String revision) {
    String commit = revision;
    Path ref = repoDir.resolve("refs").resolve(revision);
    try {
      if (Files.isRegularFile(ref)) {
        commit = Files.readString(ref).trim();
      }
    } catch (IOException e) {
      throw new QuarryException("Cannot read " + ref + ": " + e.getMessage(), e);
    }
    Path snapshot = repoDir.resolve("snapshots").resolve(commit);
    if (!Files.exists(snapshot.resolve(COMPLETE_MARKER))) {
      throw new QuarryException("Offline mode: " + repoId + "@" + revision + " is not in the cache " + cacheDir
          + ". Run once with network access (without --offline) to download it.");
    }
    return snapshot;
  }

  /**
   * The files a sentence-transformers folder needs on the ONNX path, from the hub's sibling list.
   * A Router model's routes keep their Transformers in folders such as {@code query_0_Transformer/};
   * each takes its own ONNX graph when the repository has one, else its safetensors.
   */
  static List<JsonNode> selectFiles(JsonNode siblings) {
    List<JsonNode> out = new ArrayList<>();
    java.util.Set<String> names = new java.util.HashSet<>();
    for (JsonNode s : siblings) {
      names.add(s.path("rfilename").asText());
    }
    boolean hasOnnxDir = names.contains("onnx/model.onnx");
    // No ONNX export on the hub: fetch the PyTorch weights, which loading exports to ONNX on first
    // use (BERT), and which fine-tuning reads directly.
    boolean safetensorsOnly = !hasOnnxDir && !names.contains("model.onnx");
    for (JsonNode s : siblings) {
      String name = s.path("rfilename").asText();
      boolean config = name.endsWith(".json") && !name.startsWith("onnx/") && !name.startsWith("openvino/") && !name.contains("/onnx/");
      boolean onnx = hasOnnxDir ? name.equals("onnx/model.onnx") : name.equals("model.onnx");
      // Module folders (2_Dense/..., query_3_Dense/...) keep their small weights; the transformer's own are replaced by ONNX.
      boolean moduleWeights = name.matches("([^/]+_)?\\d+_[A-Za-z]+/model\\.safetensors") && !name.contains("_Transformer/");
      boolean weights = safetensorsOnly && name.equals("model.safetensors");
      boolean routeOnnx = name.matches("[^/]+_\\d+_Transformer/onnx/model\\.onnx");
      boolean routeWeights = name.matches("[^/]+_\\d+_Transformer/model\\.safetensors")
          && !names.contains(name.replace("model.safetensors", "onnx/model.onnx"));
      boolean vocab = name.equals("vocab.txt") || name.matches("[^/]+_\\d+_Transformer/vocab\\.txt");
      if (config || onnx || moduleWeights || weights || routeOnnx || routeWeights || vocab) {
        out.add(s);
      }
    }
    return out;
  }

  private void fetchVerified(String repoId, String commit, JsonNode file, Path snapshot) {
    String name = file.path("rfilename").asText();
    Path target = snapshot.resolve(name).normalize();
    if (!target.startsWith(snapshot)) {
      throw new QuarryException("Refusing hub file name '" + name + "' that escapes the cache folder.");
    }
    long size = file.path("lfs").path("size").asLong(file.path("size").asLong(-1));
    String sha256 = file.path("lfs").path("sha256").asText(null);
    String blobId = sha256 == null ? file.path("blobId").asText(null) : null;
    if (Files.isRegularFile(target)) {
      return;
    }
    Path partial = target.resolveSibling(target.getFileName() + ".incomplete");
    String url = endpoint + "/" + repoId + "/resolve/" + commit + "/" + name;
    try {
      Files.createDirectories(target.getParent());
      // Another process may be fetching the same file into the same .incomplete: take turns.
      // Lock files live beside the snapshots (as huggingface_hub keeps them), not in the model folder.
      Path lockFile = snapshot.getParent().getParent().resolve(".locks").resolve(commit).resolve(name + ".lock");
      Files.createDirectories(lockFile.getParent());
      try (SafeFiles.Lock lock = SafeFiles.lock(lockFile)) {
        if (Files.isRegularFile(target)) {
          return; // the other process finished it
        }
        download(url, partial, size);
        verify(partial, name, size, sha256, blobId);
        SafeFiles.sync(partial);
        Files.move(partial, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      }
      log.accept("downloaded " + repoId + "/" + name + " (" + Files.size(target) + " bytes)");
    } catch (IOException e) {
      throw new QuarryException("Download of " + url + " failed: " + e.getMessage()
          + ". The bytes received so far are kept in " + partial + "; run again to resume.", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new QuarryException("Download of " + url + " interrupted; run again to resume.", e);
    }
  }

  private void download(String url, Path partial, long expectedSize) throws IOException, InterruptedException {
    long have = Files.isRegularFile(partial) ? Files.size(partial) : 0;
    if (expectedSize >= 0 && have > expectedSize) {
      Files.delete(partial);
      have = 0;
    }
    if (expectedSize >= 0 && have == expectedSize) {
      return;
    }
    HttpRequest.Builder req = HttpRequest.newBuilder(URI.create(url)).header("User-Agent", "quarry");
    if (have > 0) {
      req.header("Range", "bytes=" + have + "-");
    }
    HttpResponse<InputStream> resp = send(req, HttpResponse.BodyHandlers.ofInputStream());
    boolean append = resp.statusCode() == 206;
    if (resp.statusCode() != 200 && !append) {
      resp.body().close();
      throw new IOException("HTTP " + resp.statusCode());
    }
    if (append) {
      long start = rangeStart(resp.headers().firstValue("Content-Range").orElse(null));
      if (start != have) {
        // Appending these bytes would splice the wrong part of the file in: start over.
        resp.body().close();
        Files.deleteIfExists(partial);
        throw new IOException("the server resumed at byte " + start + " (Content-Range '"
            + resp.headers().firstValue("Content-Range").orElse("missing") + "'), not at " + have
            + "; the partial file was discarded");
      }
    }
    try (InputStream in = resp.body();
         OutputStream os = Files.newOutputStream(partial, StandardOpenOption.CREATE,
             append ? StandardOpenOption.APPEND : StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE)) {
      StallGuard.copy(in, os, settings.readTimeout());
    }
  }

  /** The first byte of a {@code Content-Range: bytes FIRST-LAST/TOTAL} header, or -1. */
  static long rangeStart(String contentRange) {
    if (contentRange == null) {
      return -1;
    }
    Matcher m = Pattern.compile("bytes\\s+(\\d+)-\\d+/(\\d+|\\*)").matcher(contentRange.trim());
    return m.matches() ? Long.parseLong(m.group(1)) : -1;
  }

  private static void verify(Path file, String name, long size, String sha256, String blobId) throws IOException {
    long actual = Files.size(file);
    if (size >= 0 && actual != size) {
      throw new IOException(name + " has " + actual + " bytes, the hub lists " + size);
    }
    if (sha256 != null) {
      String got = Digests.hex(file, "SHA-256", null);
      if (!got.equalsIgnoreCase(sha256)) {
        Files.delete(file);
        throw new IOException(name + " has SHA-256 " + got + ", the hub lists " + sha256 + " (corrupt download deleted)");
      }
    } else if (blobId != null && !blobId.isEmpty()) {
      // git's blob id: SHA-1 over "blob <size>\0" followed by the content.
      String got = Digests.hex(file, "SHA-1", ("blob " + actual + "\0").getBytes(StandardCharsets.UTF_8));
      if (!got.equalsIgnoreCase(blobId)) {
        Files.delete(file);
        throw new IOException(name + " has git blob id " + got + ", the hub lists " + blobId + " (corrupt download deleted)");
      }
    }
  }

  private JsonNode getJson(String url, String repoId, String revision) {
    try {
      HttpResponse<String> resp = send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofMinutes(2))
          .header("User-Agent", "quarry"), HttpResponse.BodyHandlers.ofString());
      if (resp.statusCode() == 401 || resp.statusCode() == 403) {
        throw new QuarryException("The hub refused " + repoId + " (HTTP " + resp.statusCode()
            + "): the repository is gated or private; set HF_TOKEN.");
      }
      if (resp.statusCode() == 404) {
        throw new QuarryException("No model " + repoId + " at revision " + revision + " on " + endpoint + ".");
      }
      if (resp.statusCode() != 200) {
        throw new QuarryException("The hub answered HTTP " + resp.statusCode() + " for " + url);
      }
      return Json.reader().readTree(resp.body());
    } catch (IOException e) {
      throw new QuarryException("Cannot reach the hub at " + endpoint + " for " + repoId + ": " + e.getMessage()
          + ". Use --offline to load from the cache, or set QUARRY_HUB_URL to a reachable mirror.", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new QuarryException("Interrupted while asking the hub for " + repoId, e);
    }
  }

  /**
   * Sends a request, following up to 5 redirects by hand: the token is added only for the hub's own
   * scheme, host and port (the hub redirects large files to a CDN, which must not see it), and a
   * redirect from https to http is refused.
   */
  private <T> HttpResponse<T> send(HttpRequest.Builder builder, HttpResponse.BodyHandler<T> body)
      throws IOException, InterruptedException {
    HttpRequest request = builder.build();
    URI uri = request.uri();
    for (int hop = 0; ; hop++) {
      HttpRequest.Builder b = HttpRequest.newBuilder(uri);
      request.headers().map().forEach((k, vs) -> vs.forEach(v -> b.header(k, v)));
      request.timeout().ifPresent(b::timeout);
      if (token != null && !token.isBlank() && sameOrigin(uri, hubUri)) {
        if (!"https".equalsIgnoreCase(uri.getScheme()) && !settings.tokenOverPlainHttp()) {
          throw new QuarryException("Refusing to send HF_TOKEN to " + uri.getHost() + " over plain http, where anyone on the way"
              + " can read it. Use an https hub, or allow it explicitly (QUARRY_HUB_ALLOW_HTTP_TOKEN=1) for a hub on a trusted"
              + " network.");
        }
        b.header("Authorization", "Bearer " + token);
      }
      HttpResponse<T> resp = http.send(b.build(), body);
      int status = resp.statusCode();
      if (status != 301 && status != 302 && status != 303 && status != 307 && status != 308) {
        return resp;
      }
      String location = resp.headers().firstValue("Location").orElse(null);
      if (resp.body() instanceof Closeable c) {
        c.close();
      }
      if (location == null || hop >= 5) {
        throw new IOException(location == null ? "redirect without a Location" : "more than 5 redirects");
      }
      URI next = uri.resolve(location);
      if ("https".equalsIgnoreCase(uri.getScheme()) && !"https".equalsIgnoreCase(next.getScheme())) {
        throw new IOException("refusing a redirect from https to " + next.getScheme() + " (" + next.getHost() + ")");
      }
      uri = next;
    }
  }

  static boolean sameOrigin(URI a, URI b) {
    return a.getScheme().equalsIgnoreCase(b.getScheme()) && a.getHost() != null && a.getHost().equalsIgnoreCase(b.getHost())
        && port(a) == port(b);
  }

  private static int port(URI u) {
    return u.getPort() >= 0 ? u.getPort() : "https".equalsIgnoreCase(u.getScheme()) ? 443 : 80;
  }

  private static void writeRef(Path repoDir, String revision, String commit) {
    if (revision.equals(commit)) {
      return;
    }
    Path ref = repoDir.resolve("refs").resolve(revision);
    try {
      Files.createDirectories(ref.getParent());
      Path tmp = Files.createTempFile(ref.getParent(), "ref", ".tmp");
      Files.writeString(tmp, commit);
      Files.move(tmp, ref, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (IOException e) {
      throw new QuarryException("Cannot write " + ref + ": " + e.getMessage(), e);
    }
  }

  private static String encode(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }
}
