// Evaluation over a test set in batches: each batch's sums stay on the device, and all of them are read back in one
// asynchronous transfer (a GPU is not waited on batch by batch), then added in batch order.
import * as tf from '@tensorflow/tfjs';

/**
 * Awaited between the batches of a long loop (an evaluation): lets signal handlers and timers run (Ctrl-C, a
 * parent's death), and resolves true when the run is to stop.
 */
export type YieldPoint = () => Promise<boolean>;

export interface BatchSumsOptions {
  /** Items, taken `batchSize` at a time, `repeats` times over (default 1; repeat r passed to `batch`). */
  count: number;
  batchSize: number;
  /** One batch's sums: a [width] tensor, made inside a tf.tidy. */
  batch: (start: number, size: number, repeat: number) => tf.Tensor1D;
  repeats?: number;
  /** Awaited after each batch; a stop ends the loop. */
  yieldPoint?: YieldPoint;
}

/** The column sums over all batches, or undefined when `yieldPoint` asked to stop first. */
export async function batchSums(o: BatchSumsOptions): Promise<number[] | undefined> {
  const parts: tf.Tensor1D[] = [];
  let values: Float32Array;
  try {
    for (let repeat = 0; repeat < (o.repeats ?? 1); repeat++)
      for (let start = 0; start < o.count; start += o.batchSize) {
        parts.push(tf.tidy(() => o.batch(start, Math.min(o.batchSize, o.count - start), repeat)));
        if (await o.yieldPoint?.()) return undefined;
      }
    const stacked = tf.stack(parts);
    values = (await stacked.data().finally(() => stacked.dispose())) as Float32Array;
  } finally {
    tf.dispose(parts);
  }
  const width = parts[0].shape[0];
  const sums = new Array<number>(width).fill(0);
  for (let k = 0; k < parts.length; k++) for (let c = 0; c < width; c++) sums[c] += values[k * width + c];
  return sums;
}
