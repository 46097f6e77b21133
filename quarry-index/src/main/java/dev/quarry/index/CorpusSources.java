package dev.quarry.index;

import dev.quarry.data.CorpusStream;
import dev.quarry.data.Document;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.NoSuchElementException;

/**
 * The entries of a {@code corpus.jsonl} as {@link SourceSync} sources, so that a BEIR corpus can be
 * cut into chunks ({@code quarry index -d DIR --chunk-tokens N}) and synced entry by entry like the
 * files of a folder. An entry's stamp is its content: its "size" is the text's length and its
 * "modification time" the first 60 bits of its content hash, so an edited entry never looks unchanged.
 */
public final class CorpusSources implements Iterable<SourceSync.Source> {
  private final Path corpus;

  public CorpusSources(Path corpus) {
    this.corpus = corpus;
  }

  @Override
  public Iterator<SourceSync.Source> iterator() {
    CorpusStream in = CorpusStream.open(corpus);
    return new Iterator<>() {
      private CorpusStream.Entry next = advance();

      private CorpusStream.Entry advance() {
        CorpusStream.Entry e = in.next();
        if (e == null) {
          in.close();
        }
        return e;
      }

      @Override
      public boolean hasNext() {
        return next != null;
      }

      @Override
      public SourceSync.Source next() {
        if (next == null) {
          throw new NoSuchElementException();
        }
        Document d = next.document();
        next = advance();
        return new Entry(d, corpus.toString());
      }
    };
  }

  private record Entry(Document document, String file) implements SourceSync.Source {
    @Override
    public String id() {
      return document.id();
    }

    @Override
    public String path() {
      return file + " (" + document.id() + ")";
    }

    @Override
    public long size() {
      return document.fullText().length();
    }

    @Override
    public long mtime() {
      return Long.parseUnsignedLong(PassageSchema.contentHash(document).substring(0, 15), 16);
    }

    @Override
    public String sha256() {
      return PassageSchema.contentHash(document);
    }

    @Override
    public SourceSync.Extracted extract() {
      return new SourceSync.Extracted(document.title(), document.text(), new int[0]);
    }
  }
}
