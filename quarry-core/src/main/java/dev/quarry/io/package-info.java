/**
 * File formats and file handling shared by every stage: NumPy {@code .npy} matrices. Depends on
 * nothing else in Quarry but {@link dev.quarry.QuarryException}.
 */
package dev.quarry.io;
