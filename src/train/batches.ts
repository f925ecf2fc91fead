// Seeded per-epoch shuffling into mini-batches.
import { permutation, rngFor } from '../data/rng';

/**
 * Where each batch of an epoch starts: every batchSize examples, except that a last batch left with a single
 * example (batchSize > 1) is folded into the one before.
 */
function batchStarts(count: number, batchSize: number): number[] {
  const starts: number[] = [];
  for (let start = 0; start < count; start += batchSize) starts.push(start);
  // A batch of a single example gives batch norm a variance of 0 (and every norm a one-example update).
  if (batchSize > 1 && starts.length > 1 && count - starts[starts.length - 1] === 1) starts.pop();
  return starts;
}

/**
 * The example order of one epoch, cut into batches of `batchSize`. The last batch may be smaller, so every
 * example is seen once per epoch; where it would hold a single example, that example joins the batch before
 * (which then holds batchSize + 1). Seeded by (train.seed, epoch): the same on every backend and every rerun.
 */
export function epochBatches(count: number, batchSize: number, seed: number, epoch: number): Int32Array[] {
  const order = permutation(count, rngFor(seed, 'shuffle', epoch));
  const starts = batchStarts(count, batchSize);
  return starts.map((start, i) => order.subarray(start, i + 1 < starts.length ? starts[i + 1] : count));
}

export function stepsPerEpoch(count: number, batchSize: number): number {
  return batchStarts(count, batchSize).length;
}
