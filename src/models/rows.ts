// Rows of a matrix by index, differentiable on every backend: tf.gather's own gradient needs UnsortedSegmentSum,
// which the wasm backend lacks; ScatterNd, which every backend has, adds the gradients of repeated rows.
import * as tf from '@tensorflow/tfjs';

/** x's `rows` [n] (repeats allowed: an embedding's word ids), [n, cols], the gradient scattered back (ScatterNd). */
export function gatherRows(x: tf.Tensor2D, rows: tf.Tensor1D): tf.Tensor2D {
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [input, save] = [args[0] as tf.Tensor2D, args[1] as tf.GradSaveFunc];
    save([rows]);
    return {
      value: tf.gather(input, rows),
      gradFunc: (dy: tf.Tensor, [r]: tf.Tensor[]) => tf.scatterND(tf.reshape(r, [-1, 1]), dy, input.shape),
    };
  }) as (x: tf.Tensor2D) => tf.Tensor2D;
  return op(x);
}
