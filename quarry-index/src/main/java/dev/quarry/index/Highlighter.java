package dev.quarry.index;

import java.io.IOException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.apache.lucene.analysis.Analyzer;
import org.apache.lucene.analysis.TokenStream;
import org.apache.lucene.analysis.tokenattributes.CharTermAttribute;
import org.apache.lucene.analysis.tokenattributes.OffsetAttribute;

/**
 * Finds the words of a passage that match the question's terms after the same analysis BM25 uses
 * (lower-cased, stop words dropped, Porter-stemmed), so "learning" in a question marks "learned"
 * in a passage. Returns character ranges for the page to wrap in {@code <mark>}.
 */
public final class Highlighter {
  private final Analyzer analyzer;
  private final String field;

  /** Highlights with the index's own analyzer and field, so a marked word is one BM25 matched. */
  public Highlighter(Analyzer analyzer, String field) {
    this.analyzer = analyzer;
    this.field = field;
  }

  /** [start, end) offsets in {@code text} of words whose stem is one of the query's stems. */
  public List<int[]> spans(String query, String text) {
    return spans(query, List.of(text)).get(0);
  }

  /** The spans of each text (a title and its passage), the query analysed once. */
  public List<List<int[]>> spans(String query, List<String> texts) {
    Set<String> wanted = new HashSet<>();
    analyze(query, (term, start, end) -> wanted.add(term));
    List<List<int[]>> all = new ArrayList<>(texts.size());
    for (String text : texts) {
      List<int[]> out = new ArrayList<>();
      if (!wanted.isEmpty()) {
        analyze(text, (term, start, end) -> {
          if (wanted.contains(term)) {
            out.add(new int[] {start, end});
          }
        });
      }
      all.add(out);
    }
    return all;
  }

  private interface TermSink {
    void accept(String term, int start, int end);
  }

  private void analyze(String s, TermSink sink) {
    try (TokenStream ts = analyzer.tokenStream(field, s)) {
      CharTermAttribute term = ts.addAttribute(CharTermAttribute.class);
      OffsetAttribute off = ts.addAttribute(OffsetAttribute.class);
      ts.reset();
      while (ts.incrementToken()) {
        sink.accept(term.toString(), off.startOffset(), off.endOffset());
      }
      ts.end();
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }
}
