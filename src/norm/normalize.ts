// The normalize-scale-shift op shared by layer norm (over units) and batch norm (over the batch),
// with the hand-derived gradient of SPEC section 1 instead of tfjs autodiff through moments.
import * as tf from '@tensorflow/tfjs';

export interface NormalizeArgs {
  /** [batch, units] summed inputs a. */
  x: tf.Tensor2D;
  /** [units] per-unit gain g. */
  gain: tf.Tensor1D;
  /** [units] per-unit bias b. */
  bias: tf.Tensor1D;
  /** 1: per example over units (layer norm); 0: per unit over the batch (batch norm). */
  axis: 0 | 1;
  /** Added to the biased variance inside the square root. */
  epsilon: number;
}

/**
 * y = g * (a - mu) / sqrt(var + eps) + b, statistics along `axis` (biased variance).
 * Backward, with xhat = (a - mu) / sigma and dxhat = dy * g (means along `axis`):
 *   da = (1/sigma) * (dxhat - mean(dxhat) - xhat * mean(dxhat * xhat)),  dg = sum_batch dy * xhat,  db = sum_batch dy.
 */
export function normalizeScaleShift(args: NormalizeArgs): tf.Tensor2D {
  const { axis, epsilon } = args;
  const op = tf.customGrad((...inputs: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [x, gain, bias] = inputs as tf.Tensor[];
    const save = inputs[3] as tf.GradSaveFunc;
    const mean = tf.mean(x, axis, true); // [batch,1] or [1,units]
    const centered = tf.sub(x, mean);
    const rstd = tf.rsqrt(tf.add(tf.mean(tf.square(centered), axis, true), epsilon));
    const xhat = tf.mul(centered, rstd); // [batch, units]
    save([xhat, rstd, gain]);
    return {
      value: tf.add(tf.mul(xhat, gain), bias),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [xh, rs, g] = saved;
        const dxhat = tf.mul(dy, g);
        const inner = tf.sub(tf.sub(dxhat, tf.mean(dxhat, axis, true)), tf.mul(xh, tf.mean(tf.mul(dxhat, xh), axis, true)));
        return [tf.mul(rs, inner), tf.sum(tf.mul(dy, xh), 0), tf.sum(dy, 0)];
      },
    };
  });
  return op(args.x, args.gain, args.bias) as tf.Tensor2D;
}
