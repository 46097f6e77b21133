/**
 * Long texts cut into pieces a model reads whole: {@link dev.quarry.chunk.Chunker} measures with the
 * model's own tokenizer and breaks at paragraphs, then sentences, then words.
 */
package dev.quarry.chunk;
