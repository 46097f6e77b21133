package dev.quarry.index;

/**
 * What a source (a file) was when it was synced: size and modification time, compared first, and
 * its SHA-256, compared only when those differ, so that an unchanged folder is not read at all.
 *
 * @param mtime modification time in milliseconds
 * @param sha256 hex digest of the bytes (for a chunked corpus entry: its content hash)
 */
public record SourceStamp(long size, long mtime, String sha256) {}
