// Seeded per-epoch shuffling into mini-batches.
import { permutation, rngFor } from '../data/rng';

/**
 * The example order of one epoch, cut into batches of `batchSize` (the last may be smaller, so every example
 * is seen once per epoch). Seeded by (train.seed, epoch): the same on every backend and every rerun.
 */
export function epochBatches(count: number, batchSize: number, seed: number, epoch: number): Int32Array[] {
  const order = permutation(count, rngFor(seed, 'shuffle', epoch));
  const batches: Int32Array[] = [];
  for (let start = 0; start < count; start += batchSize) batches.push(order.subarray(start, Math.min(start + batchSize, count)));
  return batches;
}

export function stepsPerEpoch(count: number, batchSize: number): number {
  return Math.ceil(count / batchSize);
}
