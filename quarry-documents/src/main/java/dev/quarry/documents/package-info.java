/**
 * Folders of your own documents as sources of passages: {@link dev.quarry.documents.FolderSources}
 * walks them, {@link dev.quarry.documents.DocumentExtractor} reads each file's text through Apache
 * Tika (PDF pages, headings and titles kept), and {@link dev.quarry.index.SourceSync} chunks,
 * encodes and syncs them file by file.
 */
package dev.quarry.documents;
