/** Tokenisation: Hugging Face tokenizer.json files through DJL, with sentence-transformers' truncation. */
package dev.quarry.tokenize;
