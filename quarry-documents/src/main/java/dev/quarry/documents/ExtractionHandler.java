package dev.quarry.documents;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.xml.sax.Attributes;
import org.xml.sax.SAXException;
import org.xml.sax.helpers.DefaultHandler;

/**
 * Collects the XHTML Tika emits into plain text that keeps the document's structure where a chunker
 * needs it: a blank line after each block (paragraph, heading, list item, table row), the offset
 * where each PDF page starts ({@code <div class="page">}), and the first heading, a title of last
 * resort. Stops with {@link TooLong} past {@code maxChars}, so that one file cannot fill the heap.
 */
final class ExtractionHandler extends DefaultHandler {
  private static final Set<String> BLOCKS = Set.of("p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "li", "tr", "pre", "blockquote",
      "table", "ul", "ol", "dd", "dt", "section", "article");
  private static final Set<String> SKIPPED = Set.of("script", "style", "title", "head");

  /** Thrown when the text passes the limit. */
  static final class TooLong extends SAXException {
    private static final long serialVersionUID = 1L;

    TooLong(int limit) {
      super("more than " + limit + " characters of text");
    }
  }

  private final StringBuilder text = new StringBuilder();
  private final List<Integer> pageStarts = new ArrayList<>();
  private final int maxChars;
  private int skipDepth;
  private int headingDepth;
  private StringBuilder heading;
  private String firstHeading;

  ExtractionHandler(int maxChars) {
    this.maxChars = maxChars;
  }

  @Override
  public void startElement(String uri, String localName, String qName, Attributes atts) {
    String name = (localName == null || localName.isEmpty() ? qName : localName).toLowerCase(Locale.ROOT);
    if (SKIPPED.contains(name)) {
      skipDepth++;
      return;
    }
    if (name.equals("div") && "page".equals(atts.getValue("class"))) {
      pageStarts.add(text.length());
    }
    if (firstHeading == null && name.length() == 2 && name.charAt(0) == 'h' && Character.isDigit(name.charAt(1))) {
      headingDepth++;
      heading = heading == null ? new StringBuilder() : heading;
    }
  }

  @Override
  public void endElement(String uri, String localName, String qName) {
    String name = (localName == null || localName.isEmpty() ? qName : localName).toLowerCase(Locale.ROOT);
    if (SKIPPED.contains(name)) {
      skipDepth--;
      return;
    }
    if (headingDepth > 0 && name.length() == 2 && name.charAt(0) == 'h' && Character.isDigit(name.charAt(1))) {
      headingDepth--;
      if (headingDepth == 0 && heading != null && !heading.toString().isBlank()) {
        firstHeading = heading.toString().strip().replaceAll("\\s+", " ");
      }
      heading = null;
    }
    if (name.equals("br")) {
      text.append('\n');
    } else if (BLOCKS.contains(name)) {
      endBlock();
    }
  }

  @Override
  public void characters(char[] ch, int start, int length) throws SAXException {
    if (skipDepth > 0) {
      return;
    }
    if (text.length() + length > maxChars) {
      throw new TooLong(maxChars);
    }
    if (endsWithBlankLine() && isBlank(ch, start, length)) {
      return; // the whitespace Tika puts between blocks: a block already ends with a blank line
    }
    text.append(ch, start, length);
    if (heading != null) {
      heading.append(ch, start, length);
    }
  }

  @Override
  public void ignorableWhitespace(char[] ch, int start, int length) throws SAXException {
    characters(ch, start, length);
  }

  private boolean endsWithBlankLine() {
    int n = text.length();
    return n >= 2 && text.charAt(n - 1) == '\n' && text.charAt(n - 2) == '\n';
  }

  private static boolean isBlank(char[] ch, int start, int length) {
    for (int i = start; i < start + length; i++) {
      if (!Character.isWhitespace(ch[i])) {
        return false;
      }
    }
    return true;
  }

  /** Ends a block with a blank line (unless the text ends with one already). */
  private void endBlock() {
    int n = text.length();
    while (n > 0 && (text.charAt(n - 1) == ' ' || text.charAt(n - 1) == '\t')) {
      n--;
    }
    text.setLength(n);
    if (n == 0 || endsWithBlankLine()) {
      return;
    }
    text.append(text.charAt(n - 1) == '\n' ? "\n" : "\n\n");
  }

  String text() {
    return text.toString();
  }

  int[] pageStarts() {
    return pageStarts.stream().mapToInt(Integer::intValue).toArray();
  }

  /** The first heading's text, or null. */
  String firstHeading() {
    return firstHeading;
  }
}
