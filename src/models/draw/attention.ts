// DRAW's selective attention (Gregor et al. 2015, section 3.2): an N x N grid of 2-D Gaussian filters whose centre,
// stride, variance and intensity a linear layer of the decoder state emits, applied to an A x B image (28 x 28) as
// the separable filterbank matrices F_X [N, A] and F_Y [N, B], with that section's equations.
import * as tf from '@tensorflow/tfjs';
import { customOp } from '../../backend/internals';
import { FILTERBANK, FILTERBANK_GRAD } from '../../backend/kernels/filterbank';
import { hasKernel, runKernel } from '../../backend/kernels/js-kernel';
import { IMAGE_SIDE } from '../../data/mnist';

/**
 * Added to each filter's normalizer sum_a exp(...) (as reference implementations of DRAW do): a filter whose
 * Gaussian lies wholly off the image sums to 0 in float32; it then reads and writes 0 instead of NaN.
 */
export const FILTER_EPSILON = 1e-8;

/** A batch's filterbanks: F_X [b, N, A], F_Y [b, N, B], each row summing to 1, and the intensity gamma [b, 1]. */
export interface Filterbank {
  fx: tf.Tensor3D;
  fy: tf.Tensor3D;
  gamma: tf.Tensor2D;
}

/** Row i of the bank: exp(-(a - mu_i)^2 / (2 var)) over a = 1..size, normalized to sum 1. mu [b, N], var [b, 1]. */
function bank(mu: tf.Tensor2D, variance: tf.Tensor2D, size: number): tf.Tensor3D {
  const a = tf.range(1, size + 1).reshape([1, 1, size]);
  const d = tf.sub(a, tf.expandDims(mu, 2)); // [b, N, size]
  const f = tf.exp(tf.div(tf.neg(tf.square(d)), tf.mul(2, tf.expandDims(variance, 2))));
  return tf.div(f, tf.add(tf.sum(f, 2, true), FILTER_EPSILON)) as tf.Tensor3D;
}

/**
 * The filterbank of an N x N grid from params [b, 5] = (gx~, gy~, log var, log delta~, log gamma):
 * gx = (A + 1)/2 (gx~ + 1), gy likewise, delta = (max(A, B) - 1)/(N - 1) exp(log delta~), var and gamma their
 * exps, and grid centres mu_i = g + (i - N/2 - 0.5) delta for i = 1..N.
 */
export function filterbank(params: tf.Tensor2D, n: number, side = IMAGE_SIDE): Filterbank {
  return hasKernel(FILTERBANK) && hasKernel(FILTERBANK_GRAD)
    ? fusedFilterbank(params, n, side)
    : compositeFilterbank(params, n, side);
}

/** filterbank as one kernel forward and one backward (src/backend/kernels/filterbank.ts). */
function fusedFilterbank(params: tf.Tensor2D, n: number, side: number): Filterbank {
  const attrs = { n, side, epsilon: FILTER_EPSILON };
  const [fx, fy, gamma] = customOp(
    [params],
    (save) => {
      save([params]);
      return runKernel(FILTERBANK, { params }, attrs);
    },
    ([dfx, dfy, dgamma], [p]) => runKernel(FILTERBANK_GRAD, { params: p, dfx, dfy, dgamma }, attrs),
  );
  return { fx: fx as tf.Tensor3D, fy: fy as tf.Tensor3D, gamma: gamma as tf.Tensor2D };
}

/** filterbank op by op, autodiff's gradient: where the backend lacks the fused kernels (and their reference). */
export function compositeFilterbank(params: tf.Tensor2D, n: number, side = IMAGE_SIDE): Filterbank {
  const [gxT, gyT, logVar, logDeltaT, logGamma] = tf.split(params, 5, 1) as tf.Tensor2D[];
  const centre = (g: tf.Tensor2D) => tf.mul((side + 1) / 2, tf.add(g, 1));
  const delta = tf.mul((side - 1) / (n - 1), tf.exp(logDeltaT)); // [b, 1]
  const offsets = tf.tensor2d(
    Array.from({ length: n }, (_, i) => i + 1 - n / 2 - 0.5),
    [1, n],
  );
  const grid = (g: tf.Tensor2D) => tf.add(centre(g), tf.mul(offsets, delta)) as tf.Tensor2D; // [b, N]
  const variance = tf.exp(logVar) as tf.Tensor2D;
  return { fx: bank(grid(gxT), variance, side), fy: bank(grid(gyT), variance, side), gamma: tf.exp(logGamma) };
}

/** gamma F_Y img F_X^T of each [side x side] image of `images` [b, side^2], flattened: [b, N^2]. */
export function glimpse(images: tf.Tensor2D, fb: Filterbank, side = IMAGE_SIDE): tf.Tensor2D {
  const [b, n] = fb.fx.shape;
  const img = tf.reshape(images, [b, side, side]) as tf.Tensor3D; // rows are y (F_Y), columns x (F_X)
  const g = tf.matMul(tf.matMul(fb.fy, img), fb.fx, false, true); // [b, N, N]
  return tf.mul(tf.reshape(g, [b, n * n]), fb.gamma) as tf.Tensor2D;
}

/** DRAW's read with attention: the glimpses of x and of the error image xhat side by side, [b, 2 N^2]. */
export function read(x: tf.Tensor2D, xhat: tf.Tensor2D, fb: Filterbank): tf.Tensor2D {
  return tf.concat([glimpse(x, fb), glimpse(xhat, fb)], 1);
}

/** DRAW's write with attention: (1 / gamma) F_Y^T w F_X of the N x N patch w [b, N^2], flattened: [b, side^2]. */
export function write(patch: tf.Tensor2D, fb: Filterbank, side = IMAGE_SIDE): tf.Tensor2D {
  const [b, n] = fb.fx.shape;
  const w = tf.reshape(patch, [b, n, n]) as tf.Tensor3D;
  const img = tf.matMul(tf.matMul(fb.fy, w, true, false), fb.fx); // [b, side, side]
  return tf.div(tf.reshape(img, [b, side * side]), fb.gamma) as tf.Tensor2D;
}
