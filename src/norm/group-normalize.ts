// The group-normalize-scale-shift op of group norm (Wu & He 2018), with its gradient by hand as normalize.ts has layer
// norm's: per example, statistics over each group of channels at every position. On cpu and wasm it runs as two fused
// kernels (src/backend/kernels/group-normalize.ts), on webgpu as two WGSL ones (src/backend/kernels/webgpu/
// group-normalize.ts); elsewhere as composite tfjs ops with the same gradient formula.
import * as tf from '@tensorflow/tfjs';
import { hasKernel, runKernel } from '../backend/kernels/js-kernel';
import { GROUP_NORMALIZE, GROUP_NORMALIZE_GRAD } from '../backend/kernels/group-normalize';

export interface GroupNormalizeArgs {
  /** [batch, positions * channels] summed inputs a, the channel fastest (NHWC flattened per example). */
  x: tf.Tensor2D;
  /** [channels] per-channel gain g. */
  gain: tf.Tensor1D;
  /** [channels] per-channel bias b. */
  bias: tf.Tensor1D;
  /** Groups of channels: it divides the channel count. 1: layer norm over (H, W, C); channels: instance norm. */
  groups: number;
  /** Added to the biased variance inside the square root. */
  epsilon: number;
}

/** x as [batch, positions, groups, channels / groups]. */
const grouped = (t: tf.Tensor, [rows, cols]: number[], channels: number, groups: number) =>
  tf.reshape(t, [rows, cols / channels, groups, channels / groups]);

function forwardComposite(x: tf.Tensor2D, gain: tf.Tensor, bias: tf.Tensor, groups: number, epsilon: number) {
  const C = gain.shape[0]!;
  const x4 = grouped(x, x.shape, C, groups);
  const mean = tf.mean(x4, [1, 3], true); // [batch, 1, groups, 1]
  const variance = tf.mean(tf.square(tf.sub(x4, mean)), [1, 3], true);
  const rstd = tf.rsqrt(tf.add(variance, epsilon));
  const xhat = tf.reshape(tf.mul(tf.sub(x4, mean), rstd), [x.shape[0], -1, C]);
  const y = tf.reshape(tf.add(tf.mul(xhat, gain), bias), x.shape);
  const flat = (t: tf.Tensor) => tf.reshape(t, [x.shape[0], groups]);
  return { y, mean: flat(mean), rstd: flat(rstd), variance: flat(variance) };
}

function backwardComposite(
  dy: tf.Tensor,
  x: tf.Tensor,
  mean: tf.Tensor,
  rstd: tf.Tensor,
  gain: tf.Tensor,
  groups: number,
) {
  const C = gain.shape[0]!;
  const [rows, cols] = x.shape;
  const stat = (t: tf.Tensor) => tf.reshape(t, [rows, 1, groups, 1]);
  const xhat = tf.mul(tf.sub(grouped(x, x.shape, C, groups), stat(mean)), stat(rstd));
  const dy4 = grouped(dy, x.shape, C, groups);
  const dxhat = tf.mul(dy4, tf.reshape(gain, [groups, C / groups]));
  const inner = tf.sub(
    tf.sub(dxhat, tf.mean(dxhat, [1, 3], true)),
    tf.mul(xhat, tf.mean(tf.mul(dxhat, xhat), [1, 3], true)),
  );
  const perChannel = (t: tf.Tensor) => tf.reshape(tf.sum(tf.reshape(t, [-1, C]), 0), [C]);
  return [tf.reshape(tf.mul(stat(rstd), inner), [rows, cols]), perChannel(tf.mul(dy4, xhat)), perChannel(dy4)];
}

/**
 * y = g * (a - mu) / sqrt(var + eps) + b, with mu and var per example and group (biased variance). Backward, with xhat
 * and dxhat = dy * g, means over the group's values: da = (1/sigma) (dxhat - mean(dxhat) - xhat mean(dxhat xhat)),
 * dg = sum dy xhat and db = sum dy over examples and positions.
 */
export function groupNormalize(args: GroupNormalizeArgs): tf.Tensor2D {
  const { groups, epsilon } = args;
  const C = args.gain.shape[0];
  if (C % groups !== 0 || args.x.shape[1] % C !== 0)
    throw new Error(`groupNormalize: ${groups} groups do not divide ${C} channels of ${args.x.shape[1]} values a row`);
  const fused = hasKernel(GROUP_NORMALIZE) && hasKernel(GROUP_NORMALIZE_GRAD);
  const op = tf.customGrad((...inputs: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [x, gain, bias] = inputs as tf.Tensor[];
    const save = inputs[3] as tf.GradSaveFunc;
    const attrs = { groups, epsilon };
    const [y, mean, rstd] = fused
      ? runKernel(GROUP_NORMALIZE, { x, gain, bias }, attrs)
      : Object.values(forwardComposite(x as tf.Tensor2D, gain, bias, groups, epsilon));
    save([x, mean, rstd, gain]);
    return {
      value: y,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [xs, m, r, g] = saved;
        return fused
          ? runKernel(GROUP_NORMALIZE_GRAD, { dy, x: xs, mean: m, rstd: r, gain: g }, attrs)
          : backwardComposite(dy, xs, m, r, g, groups);
      },
    };
  });
  return op(args.x, args.gain, args.bias) as tf.Tensor2D;
}
