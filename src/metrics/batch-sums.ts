// Evaluation over a test set in batches: each batch's sums stay on the device, and all of them are read back in one
// asynchronous transfer (a GPU is not waited on batch by batch), then added in batch order.
import * as tf from '@tensorflow/tfjs';

/**
 * The column sums over batches: `batch(start, size)` returns one batch's sums (a [width] tensor, made inside a
 * tf.tidy) for `count` items taken `batchSize` at a time, `repeats` times over (repeat r passed to `batch`).
 */
export async function batchSums(
  count: number,
  batchSize: number,
  batch: (start: number, size: number, repeat: number) => tf.Tensor1D,
  repeats = 1,
): Promise<number[]> {
  const parts: tf.Tensor1D[] = [];
  let values: Float32Array;
  try {
    for (let repeat = 0; repeat < repeats; repeat++)
      for (let start = 0; start < count; start += batchSize)
        parts.push(tf.tidy(() => batch(start, Math.min(batchSize, count - start), repeat)));
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
