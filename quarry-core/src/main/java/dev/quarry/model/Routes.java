package dev.quarry.model;

import dev.quarry.QuarryException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A Router module's routes (sentence-transformers' {@code Router}, e.g. {@code
 * Router.for_query_document}): one module list per route, each a pipeline of its own, and the
 * rules that pick one for a task.
 *
 * <p>The route is picked as sentence-transformers' {@code Router._resolve_route} picks it for text
 * input: the {@code route_mappings} entries {@code (task, 'text')}, {@code (task, None)}, {@code
 * (None, 'text')}, {@code (None, None)}, then a route named after the task, then one named {@code
 * text}; a task that matches nothing is an error, and no task falls back to the default route.
 *
 * @param byName each route's pipeline, in router_config.json order
 * @param defaultRoute the route for {@code encode} without a task, or null (then it is refused)
 * @param mappings {@code route_mappings} with keys written {@code task|modality} ({@code *} for None)
 */
public record Routes(Map<String, ModelFolder> byName, String defaultRoute, Map<String, String> mappings) {
  /** sentence-transformers' task for {@code encode_query}. */
  public static final String QUERY = "query";
  /** sentence-transformers' task for {@code encode_document}. */
  public static final String DOCUMENT = "document";

  public Routes {
    if (byName.isEmpty()) {
      throw new QuarryException("A Router needs at least one route.");
    }
    byName = Collections.unmodifiableMap(new LinkedHashMap<>(byName));
    mappings = Collections.unmodifiableMap(new LinkedHashMap<>(mappings));
  }

  /** The route {@code task} (null for none) takes, or a clear error that lists the routes. */
  public String resolve(String task) {
    String t = task == null ? "*" : task;
    for (String key : List.of(t + "|text", t + "|*", "*|text", "*|*")) {
      if (mappings.containsKey(key)) {
        return mappings.get(key);
      }
    }
    if (task != null && byName.containsKey(task)) {
      return task;
    }
    if (byName.containsKey("text")) {
      return "text";
    }
    if (task != null) {
      throw new QuarryException("This Router model has no route for task '" + task + "'. Its routes: " + describe() + ".");
    }
    if (defaultRoute == null) {
      throw new QuarryException("This Router model has no default route, so a text needs a task: encode queries with"
          + " encodeQueries (task 'query') and passages with encodeDocuments (task 'document'). Its routes: " + describe() + ".");
    }
    return defaultRoute;
  }

  /** The routes as {@code quarry info} shows them. */
  public String describe() {
    List<String> parts = new ArrayList<>();
    for (String name : byName.keySet()) {
      parts.add(name + (name.equals(defaultRoute) ? " (default)" : ""));
    }
    mappings.forEach((k, v) -> parts.add("(" + k.replace('|', ',') + ")->" + v));
    return String.join(", ", parts);
  }
}
