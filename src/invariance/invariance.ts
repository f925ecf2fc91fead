// Table 1 of the paper (its section 5.1), measured: apply each of six transformations to a layer's weights or
// data and see how far the layer's normalized output y = g * N(a) + b moves, for batch norm (training-mode
// batch statistics), weight norm (w = g * v / ||v||, Salimans & Kingma 2016) and layer norm, each with the same ops
// as training (src/norm).
import * as tf from '@tensorflow/tfjs';
import { rngFor, type Rng } from '../data/rng';
import { layerNorm } from '../norm/layer';
import { NORM_DEFAULTS } from '../norm/spec';
import { normalizeScaleShift } from '../norm/normalize';
import { weightNormalize } from '../norm/weight';

export const METHODS = ['batch', 'weight', 'layer'] as const;
export type Method = (typeof METHODS)[number];

export const TRANSFORMS = [
  'weight matrix re-scaling',
  'weight matrix re-centering',
  'weight vector re-scaling',
  'dataset re-scaling',
  'dataset re-centering',
  'single training case re-scaling',
] as const;
export type Transform = (typeof TRANSFORMS)[number];

/** The paper's Table 1 (true = invariant), as the paper prints it. */
export const PAPER_TABLE: Record<Method, Record<Transform, boolean>> = {
  batch: {
    'weight matrix re-scaling': true,
    'weight matrix re-centering': false,
    'weight vector re-scaling': true,
    'dataset re-scaling': true,
    'dataset re-centering': true,
    'single training case re-scaling': false,
  },
  weight: {
    'weight matrix re-scaling': true,
    'weight matrix re-centering': false,
    'weight vector re-scaling': true,
    'dataset re-scaling': false,
    'dataset re-centering': false,
    'single training case re-scaling': false,
  },
  layer: {
    'weight matrix re-scaling': true,
    'weight matrix re-centering': true,
    'weight vector re-scaling': false,
    'dataset re-scaling': true,
    'dataset re-centering': false,
    'single training case re-scaling': true,
  },
};

export interface InvarianceRow {
  method: Method;
  transform: Transform;
  /** Largest |y' - y| over the batch's outputs (y of order 1: unit gain, zero bias). */
  max_abs_change: number;
  invariant: boolean;
  paper: boolean;
}

export interface InvarianceOptions {
  batch?: number;
  inputs?: number;
  units?: number;
  /** A change at most this large counts as invariant (float32 arithmetic and epsilon leave about 1e-6). */
  tolerance?: number;
  epsilon?: number;
  seed?: number;
}

type M = number[][];

const gaussianish = (rng: Rng) => (rng() + rng() + rng() - 1.5) * 2;
const matrix = (rows: number, cols: number, rng: Rng, scale = 1, shift = 0): M =>
  Array.from({ length: rows }, () => Array.from({ length: cols }, () => shift + scale * gaussianish(rng)));

/** The layer's output for weights w [inputs, units] (columns are the units' weight vectors) and data x [batch, inputs]. */
function layerOutput(method: Method, w: M, x: M, epsilon: number): M {
  return tf.tidy(() => {
    const units = w[0].length;
    const gain = tf.ones([units]) as tf.Tensor1D;
    const bias = tf.zeros([units]) as tf.Tensor1D;
    const W: tf.Tensor2D = tf.tensor2d(w);
    const X: tf.Tensor2D = tf.tensor2d(x);
    let y: tf.Tensor2D;
    if (method === 'weight') {
      // w_j = g_j * v_j / ||v_j|| for each unit j (a column), then a = x w + b.
      y = tf.add(tf.matMul(X, weightNormalize(W, gain)), bias) as tf.Tensor2D;
    } else {
      const a = tf.matMul(X, W) as tf.Tensor2D;
      y =
        method === 'layer'
          ? layerNorm(a, gain, bias, epsilon)
          : normalizeScaleShift({ x: a, gain, bias, axis: 0, epsilon });
    }
    return y.arraySync();
  });
}

/** The transformed (weights, data): the paper's section 5 definitions, with random scales and shifts. */
function transform(t: Transform, w: M, x: M, rng: Rng): { w: M; x: M } {
  const delta = 2 + 3 * rng(); // a scale well away from 1
  switch (t) {
    case 'weight matrix re-scaling':
      return { w: w.map((r) => r.map((v) => delta * v)), x };
    case 'weight matrix re-centering': {
      // Every unit's weight vector w_j gains the same vector gamma: a_j += gamma . x for every unit j.
      const gamma = w.map(() => gaussianish(rng));
      return { w: w.map((r, k) => r.map((v) => v + gamma[k])), x };
    }
    case 'weight vector re-scaling': {
      // Each unit's weight vector scaled by its own factor.
      const deltas = w[0].map(() => 0.5 + 3 * rng());
      return { w: w.map((r) => r.map((v, j) => deltas[j] * v)), x };
    }
    case 'dataset re-scaling':
      return { w, x: x.map((r) => r.map((v) => delta * v)) };
    case 'dataset re-centering': {
      // Every example gains the same vector gamma.
      const gamma = x[0].map(() => gaussianish(rng));
      return { w, x: x.map((r) => r.map((v, k) => v + gamma[k])) };
    }
    case 'single training case re-scaling':
      return { w, x: x.map((r, n) => (n === 0 ? r.map((v) => delta * v) : r)) };
  }
}

export function measureInvariance(o: InvarianceOptions = {}): { rows: InvarianceRow[]; tolerance: number } {
  const [batch, inputs, units] = [o.batch ?? 32, o.inputs ?? 20, o.units ?? 16];
  const tolerance = o.tolerance ?? 1e-4;
  const epsilon = o.epsilon ?? NORM_DEFAULTS.epsilon;
  const rng = rngFor(o.seed ?? 1, 'invariance');
  const w = matrix(inputs, units, rng, 0.5);
  const x = matrix(batch, inputs, rng, 1, 0.3);
  const rows: InvarianceRow[] = [];
  for (const method of METHODS) {
    const base = layerOutput(method, w, x, epsilon);
    for (const t of TRANSFORMS) {
      const changed = transform(t, w, x, rngFor(o.seed ?? 1, 'invariance', t));
      const y = layerOutput(method, changed.w, changed.x, epsilon);
      let worst = 0;
      y.forEach((r, n) => r.forEach((v, j) => (worst = Math.max(worst, Math.abs(v - base[n][j])))));
      rows.push({
        method,
        transform: t,
        max_abs_change: worst,
        invariant: worst <= tolerance,
        paper: PAPER_TABLE[method][t],
      });
    }
  }
  return { rows, tolerance };
}
