// The normalize-scale-shift op shared by layer norm (over units) and batch norm (over the batch),
// with the gradient derived by hand from the paper's section 3 (and Ioffe & Szegedy's for batch norm) instead of tfjs autodiff through moments.
// On cpu and wasm it runs as two fused kernels (src/backend/kernels/normalize.ts), on webgpu as two WGSL ones
// (src/backend/kernels/webgpu/normalize.ts), RMSNorm (center false) included; elsewhere (native TensorFlow) as
// composite tfjs ops with the same gradient formula.
import * as tf from '@tensorflow/tfjs';
import { hasKernel, runKernel } from '../backend/kernels/js-kernel';
import { NORMALIZE, NORMALIZE_GRAD } from '../backend/kernels/normalize';

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
  /**
   * false: RMSNorm (Zhang & Sennrich 2019), y = g * a / sqrt(mean(a^2) + eps) + b, axis 1 only: the mean is 0, the
   * variance the mean square. Unset: true.
   */
  center?: boolean;
  /**
   * Receives the statistics ([batch,1] or [1,units]: mean and biased variance) while they are alive;
   * batch norm records them here (running averages, or a population pass).
   */
  onStats?: (mean: tf.Tensor, variance: tf.Tensor) => void;
}

/** What the forward pass keeps for the backward pass, and the statistics batch norm needs. */
interface Forward {
  y: tf.Tensor;
  mean: tf.Tensor;
  rstd: tf.Tensor;
  variance: tf.Tensor;
}

function forwardComposite(
  x: tf.Tensor,
  gain: tf.Tensor,
  bias: tf.Tensor,
  axis: 0 | 1,
  epsilon: number,
  center: boolean,
): Forward {
  const mean = center ? tf.mean(x, axis, true) : tf.zerosLike(tf.sum(x, axis, true)); // [batch,1] or [1,units]
  const centered = tf.sub(x, mean);
  const variance = tf.mean(tf.square(centered), axis, true);
  const rstd = tf.rsqrt(tf.add(variance, epsilon));
  const xhat = tf.mul(centered, rstd); // [batch, units]
  return { y: tf.add(tf.mul(xhat, gain), bias), mean, rstd, variance };
}

function backwardComposite(
  dy: tf.Tensor,
  x: tf.Tensor,
  mean: tf.Tensor,
  rstd: tf.Tensor,
  gain: tf.Tensor,
  axis: 0 | 1,
  center: boolean,
): tf.Tensor[] {
  const xhat = tf.mul(tf.sub(x, mean), rstd);
  const dxhat = tf.mul(dy, gain);
  const inner = tf.sub(
    center ? tf.sub(dxhat, tf.mean(dxhat, axis, true)) : dxhat,
    tf.mul(xhat, tf.mean(tf.mul(dxhat, xhat), axis, true)),
  );
  return [tf.mul(rstd, inner), tf.sum(tf.mul(dy, xhat), 0), tf.sum(dy, 0)];
}

/**
 * y = g * (a - mu) / sqrt(var + eps) + b, statistics along `axis` (biased variance).
 * Backward, with xhat = (a - mu) / sigma and dxhat = dy * g (means along `axis`):
 *   da = (1/sigma) * (dxhat - mean(dxhat) - xhat * mean(dxhat * xhat)),  dg = sum_batch dy * xhat,  db = sum_batch dy.
 */
export function normalizeScaleShift(args: NormalizeArgs): tf.Tensor2D {
  const { axis, epsilon, onStats, center = true } = args;
  if (!center && axis !== 1) throw new Error('normalizeScaleShift: center false (RMSNorm) takes axis 1 only');
  // Every fused kernel (cpu, wasm, webgpu) takes `center`: RMSNorm runs fused wherever layer norm does.
  const fused = hasKernel(NORMALIZE) && hasKernel(NORMALIZE_GRAD);
  const op = tf.customGrad((...inputs: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [x, gain, bias] = inputs as tf.Tensor[];
    const save = inputs[3] as tf.GradSaveFunc;
    let fwd: Forward;
    if (fused) {
      const [y, mean, rstd, variance] = runKernel(NORMALIZE, { x, gain, bias }, { axis, epsilon, center });
      fwd = { y, mean, rstd, variance };
    } else {
      fwd = forwardComposite(x, gain, bias, axis, epsilon, center);
    }
    onStats?.(fwd.mean, fwd.variance);
    save([x, fwd.mean, fwd.rstd, gain]);
    return {
      value: fwd.y,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [xs, mean, rstd, g] = saved;
        return fused
          ? runKernel(NORMALIZE_GRAD, { dy, x: xs, mean, rstd, gain: g }, { axis, center })
          : backwardComposite(dy, xs, mean, rstd, g, axis, center);
      },
    };
  });
  return op(args.x, args.gain, args.bias) as tf.Tensor2D;
}
