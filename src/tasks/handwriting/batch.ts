// Batches of stroke sequences as the handwriting network reads them: padded to the batch's longest, step-major
// (row t * batch + b is sequence b's step t), the input at step t the point before (zeros at t = 0: the pen's start)
// and the target the point itself, so that every point of a sequence is predicted, and a mask of the real steps.
import type { SequenceSet } from '../../data/types';

export interface StrokeBatch {
  /** The longest sequence's points: the steps run. */
  steps: number;
  batch: number;
  /** [steps * batch, width] step-major: x_t = point t - 1 of each sequence (zeros at t = 0 and past its end). */
  inputs: Float32Array;
  /** [steps * batch, width] step-major: point t (zeros past the end). */
  targets: Float32Array;
  /** [steps * batch]: 1 where step t is one of the sequence's points. */
  mask: Float32Array;
  /** Points in the batch (the mask's sum). */
  points: number;
}

const lengthOf = (set: SequenceSet, i: number) => set.offsets[i + 1] - set.offsets[i];

/** The sequences at `indices` of `set` as one padded, step-major batch. */
export function strokeBatch(set: SequenceSet, indices: ArrayLike<number>): StrokeBatch {
  const batch = indices.length;
  const w = set.width;
  let steps = 0;
  for (let b = 0; b < batch; b++) steps = Math.max(steps, lengthOf(set, indices[b]));
  const inputs = new Float32Array(steps * batch * w);
  const targets = new Float32Array(steps * batch * w);
  const mask = new Float32Array(steps * batch);
  let points = 0;
  for (let b = 0; b < batch; b++) {
    const start = set.offsets[indices[b]];
    const n = lengthOf(set, indices[b]);
    points += n;
    for (let t = 0; t < n; t++) {
      const row = t * batch + b;
      mask[row] = 1;
      targets.set(set.values.subarray((start + t) * w, (start + t + 1) * w), row * w);
      if (t + 1 < steps) inputs.set(set.values.subarray((start + t) * w, (start + t + 1) * w), (row + batch) * w);
    }
  }
  return { steps, batch, inputs, targets, mask, points };
}

/** The indices 0..count-1 ordered by sequence length (ties by index): evaluation batches of similar lengths. */
export function byLength(set: SequenceSet): Int32Array {
  const order = Int32Array.from({ length: set.count }, (_, i) => i);
  return order.sort((a, b) => lengthOf(set, a) - lengthOf(set, b) || a - b);
}

/** The mean number of points a sequence, rounded. */
export function meanLength(set: SequenceSet): number {
  return Math.round(set.offsets[set.count] / Math.max(1, set.count));
}
