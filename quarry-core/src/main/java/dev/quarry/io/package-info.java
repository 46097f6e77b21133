/**
 * File formats and file handling shared by every stage: NumPy {@code .npy} matrices, durable
 * writes and cross-process locks ({@link dev.quarry.io.SafeFiles}), and reads that give up when
 * a network stream stalls ({@link dev.quarry.io.StallGuard}). Depends on nothing else in Quarry
 * but {@link dev.quarry.QuarryException}.
 */
package dev.quarry.io;
