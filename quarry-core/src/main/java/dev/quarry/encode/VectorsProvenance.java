package dev.quarry.encode;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.quarry.QuarryException;
import dev.quarry.QuarryFailure;
import dev.quarry.io.Json;
import dev.quarry.model.ModelFingerprint;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * How a file of vectors was made, written beside it ({@code docs.npy.quarry.json}) by {@code quarry
 * encode}: the model's fingerprint, the route, the prompt and the length the texts were cut at.
 * {@code quarry index --vectors} checks it against what the index would encode documents with, so
 * that vectors from another model, or encoded without the model's document prompt, are refused
 * instead of being searched with queries they do not match.
 *
 * @param route a Router model's route, or null
 * @param prompt the prompt prepended to every text ("" for none)
 */
public record VectorsProvenance(String model, String fingerprint, int dimension, long rows, String precision, String route,
    String prompt, int maxLength) {

  /** The sidecar file of {@code vectors}. */
  public static Path sidecar(Path vectors) {
    return vectors.resolveSibling(vectors.getFileName() + ".quarry.json");
  }

  /** How {@code e} was just encoded by {@code model} for {@code task} with {@code options}. */
  public static VectorsProvenance of(SentenceTransformer model, String task, EncodeOptions options, Embeddings e) {
    return new VectorsProvenance(model.folder().modelId(), ModelFingerprint.of(model.folder()), e.dimension(), e.size(),
        e.precision().id(), model.routeFor(task), model.promptFor(task, options),
        options.maxLength() == 0 ? model.maxSeqLength() : options.maxLength());
  }

  /** What an index encodes its documents with ({@link SentenceTransformer#encodeDocuments}). */
  public static VectorsProvenance forDocuments(SentenceTransformer model, long rows) {
    return new VectorsProvenance(model.folder().modelId(), ModelFingerprint.of(model.folder()), model.dimension(), rows,
        Precision.FLOAT32.id(), model.routeFor(dev.quarry.model.Routes.DOCUMENT), model.documentPrompt(), model.maxSeqLength());
  }

  public void write(Path vectors) {
    ObjectNode o = Json.object();
    o.put("format", "quarry-vectors/1");
    o.put("model", model);
    o.put("fingerprint", fingerprint);
    o.put("dimension", dimension);
    o.put("rows", rows);
    o.put("precision", precision);
    o.put("route", route);
    o.put("prompt", prompt);
    o.put("max_length", maxLength);
    Path file = sidecar(vectors);
    try {
      Files.write(file, Json.writer().writeValueAsBytes(o));
    } catch (IOException e) {
      throw new QuarryFailure("Cannot write " + file + ": " + e.getMessage(), e);
    }
  }

  /** The provenance beside {@code vectors}, or empty when there is none (vectors made elsewhere). */
  public static Optional<VectorsProvenance> read(Path vectors) {
    Path file = sidecar(vectors);
    if (!Files.exists(file)) {
      return Optional.empty();
    }
    JsonNode o;
    try {
      o = Json.reader().readTree(Files.readAllBytes(file));
    } catch (IOException e) {
      throw new QuarryException(file + " is not valid JSON: " + e.getMessage() + ". Delete it, or re-encode with `quarry encode`.", e);
    }
    if (o == null || !o.isObject()) {
      throw new QuarryException(file + " must hold a JSON object");
    }
    return Optional.of(new VectorsProvenance(text(o, "model", file), text(o, "fingerprint", file), number(o, "dimension", file),
        longNumber(o, "rows", file), text(o, "precision", file), o.path("route").isTextual() ? o.get("route").asText() : null,
        text(o, "prompt", file), number(o, "max_length", file)));
  }

  /**
   * Refuses vectors made otherwise than {@code expected}, naming each field that differs and what
   * to run instead.
   */
  public void requireMatches(VectorsProvenance expected, Path vectors) {
    List<String> differences = new ArrayList<>();
    if (!fingerprint.equals(expected.fingerprint)) {
      differences.add("model " + model + " (fingerprint " + fingerprint + ") instead of " + expected.model + " (fingerprint "
          + expected.fingerprint + ")");
    }
    if (dimension != expected.dimension) {
      differences.add(dimension + "-d vectors instead of " + expected.dimension + "-d");
    }
    if (!precision.equals(expected.precision)) {
      differences.add("precision " + precision + " instead of " + expected.precision);
    }
    if (!Objects.equals(route, expected.route)) {
      differences.add("route " + route + " instead of the document route " + expected.route + " (encode with --task document)");
    }
    if (!prompt.equals(expected.prompt)) {
      differences.add("prompt '" + prompt + "' instead of the model's document prompt '" + expected.prompt + "'"
          + " (encode with --prompt-name naming it)");
    }
    if (maxLength != expected.maxLength) {
      differences.add("texts cut at " + maxLength + " tokens instead of the model's " + expected.maxLength + " (drop --max-length)");
    }
    if (!differences.isEmpty()) {
      throw new QuarryException(vectors + " was encoded with " + String.join("; ", differences) + " (" + sidecar(vectors).getFileName()
          + "). The index would search them with mismatched queries: re-encode them, or index without --vectors.");
    }
  }

  private static String text(JsonNode o, String field, Path file) {
    JsonNode v = o.get(field);
    if (v == null || !v.isTextual()) {
      throw new QuarryException(file + ": field '" + field + "' must be a string");
    }
    return v.asText();
  }

  private static long longNumber(JsonNode o, String field, Path file) {
    JsonNode v = o.get(field);
    if (v == null || !v.canConvertToLong()) {
      throw new QuarryException(file + ": field '" + field + "' must be an integer");
    }
    return v.asLong();
  }

  private static int number(JsonNode o, String field, Path file) {
    JsonNode v = o.get(field);
    if (v == null || !v.canConvertToInt()) {
      throw new QuarryException(file + ": field '" + field + "' must be an integer");
    }
    return v.asInt();
  }
}
