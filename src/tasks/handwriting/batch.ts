// Batches of stroke sequences as the handwriting network reads them: padded to the batch's longest, step-major
// (row t * batch + b is sequence b's step t), the input at step t the point before (zeros at t = 0: the pen's start)
// and the target the point itself, so that every point of a sequence is predicted; only the real points' rows are
// scored (the padding's are never computed past the LSTMs).
import type { SequenceSet } from '../../data/types';
import { orderBy } from '../../util/order';

export interface StrokeBatch {
  /** The longest sequence's points: the steps run. */
  steps: number;
  batch: number;
  /** [steps * batch, width] step-major: x_t = point t - 1 of each sequence (zeros at t = 0 and past its end). */
  inputs: Float32Array;
  /** The step-major rows (t * batch + b) that are points of their sequence, in row order: the only ones scored. */
  rows: Int32Array;
  /** [points, width]: the point each of `rows` predicts, in the same order. */
  targets: Float32Array;
  /** Points in the batch (rows.length). */
  points: number;
}

const lengthOf = (set: SequenceSet, i: number) => set.offsets[i + 1] - set.offsets[i];

/** The sequences at `indices` of `set` as one padded, step-major batch and the rows of its real points. */
export function strokeBatch(set: SequenceSet, indices: ArrayLike<number>): StrokeBatch {
  const batch = indices.length;
  const w = set.width;
  const lengths = Array.from(indices, (i) => lengthOf(set, i));
  const steps = Math.max(0, ...lengths);
  const points = lengths.reduce((a, b) => a + b, 0);
  const inputs = new Float32Array(steps * batch * w);
  const rows = new Int32Array(points);
  const targets = new Float32Array(points * w);
  let k = 0;
  for (let t = 0; t < steps; t++) {
    for (let b = 0; b < batch; b++) {
      if (t >= lengths[b]) continue;
      const at = (set.offsets[indices[b]] + t) * w;
      const point = set.values.subarray(at, at + w);
      rows[k] = t * batch + b;
      targets.set(point, k * w);
      if (t + 1 < lengths[b]) inputs.set(point, ((t + 1) * batch + b) * w);
      k++;
    }
  }
  return { steps, batch, inputs, rows, targets, points };
}

/** The indices 0..count-1 ordered by sequence length (ties by index): evaluation batches of similar lengths. */
export const byLength = (set: SequenceSet): Int32Array => orderBy(set.count, (i) => lengthOf(set, i));

/** The number of points of the longest sequence. */
export function longest(set: SequenceSet): number {
  let n = 0;
  for (let i = 0; i < set.count; i++) n = Math.max(n, lengthOf(set, i));
  return n;
}

/** The mean number of points a sequence, rounded. */
export function meanLength(set: SequenceSet): number {
  return Math.round(set.offsets[set.count] / Math.max(1, set.count));
}
