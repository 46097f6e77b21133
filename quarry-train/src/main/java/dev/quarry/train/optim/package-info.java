/** The optimizer step as transformers computes it: AdamW, global-norm gradient clipping, warm-up then linear decay. */
package dev.quarry.train.optim;
