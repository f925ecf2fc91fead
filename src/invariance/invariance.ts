// Table 1 of the paper (its section 5.1), measured: apply each of six transformations to a layer's weights or
// data and see how far the layer's normalized output y = g * N(a) + b moves, for batch norm (training-mode
// batch statistics), weight norm (w = g * v / ||v||, Salimans & Kingma 2016) and layer norm; and two rows the paper
// could not have, RMSNorm (Zhang & Sennrich 2019) and group norm (Wu & He 2018), against what theory predicts for
// them. Batch, layer, RMS and group norm use the same ops as training (src/norm).
import * as tf from '@tensorflow/tfjs';
import { rngFor, type Rng } from '../data/rng';
import { layerNorm } from '../norm/layer';
import { NORM_DEFAULTS } from '../norm/spec';
import { normalizeScaleShift } from '../norm/normalize';
import { groupNormalize } from '../norm/group-normalize';
import { weightNormalize } from '../norm/weight';

/** The paper's three, then the two it could not have measured. */
export const METHODS = ['batch', 'weight', 'layer', 'rms', 'group'] as const;
export type Method = (typeof METHODS)[number];
export type PaperMethod = 'batch' | 'weight' | 'layer';
const isPaperMethod = (m: Method): m is PaperMethod => m === 'batch' || m === 'weight' || m === 'layer';

/** Group norm's groups in the measured layer (of 16 units: 8 units a group). */
export const INVARIANCE_GROUPS = 2;

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
export const PAPER_TABLE: Record<PaperMethod, Record<Transform, boolean>> = {
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

/**
 * What theory predicts for the norms after the paper, from the paper's section 5.1 argument applied to their
 * statistics (a = W x per example; a re-centred weight matrix adds the same gamma . x to every unit of an example):
 * - RMSNorm divides a by its root mean square: a common factor cancels (weight matrix, dataset, one case
 *   re-scaled: invariant, Zhang & Sennrich section 4); nothing subtracts a common shift, so re-centring the weight
 *   matrix moves it, where layer norm is invariant.
 * - Group norm is layer norm within each group of units: a common shift or factor of all units is one of each group's
 *   too, so its row is layer norm's (Wu & He section 3.1: layer norm is group norm with one group).
 */
export const PREDICTED: Record<'rms' | 'group', Record<Transform, boolean>> = {
  rms: { ...PAPER_TABLE.layer, 'weight matrix re-centering': false },
  group: { ...PAPER_TABLE.layer },
};

/** The table a method's row is checked against, and where that table comes from. */
export const expectedOf = (m: Method): { table: Record<Transform, boolean>; source: string } =>
  isPaperMethod(m)
    ? { table: PAPER_TABLE[m], source: 'Ba et al. 2016, Table 1' }
    : m === 'rms'
      ? { table: PREDICTED.rms, source: 'Zhang & Sennrich 2019, section 4' }
      : { table: PREDICTED.group, source: 'Wu & He 2018, section 3.1 (layer norm within each group)' };

export interface InvarianceRow {
  method: Method;
  transform: Transform;
  /** Largest |y' - y| over the batch's outputs (y of order 1: unit gain, zero bias). */
  max_abs_change: number;
  invariant: boolean;
  /** The paper's Table 1 cell; null for the norms it does not list. */
  paper: boolean | null;
  /** The paper's cell, or what theory predicts for the others (`source`). */
  expected: boolean;
  source: string;
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
      if (method === 'layer') y = layerNorm(a, gain, bias, epsilon);
      else if (method === 'rms') y = normalizeScaleShift({ x: a, gain, bias, axis: 1, epsilon, center: false });
      else if (method === 'group') y = groupNormalize({ x: a, gain, bias, groups: INVARIANCE_GROUPS, epsilon });
      else y = normalizeScaleShift({ x: a, gain, bias, axis: 0, epsilon });
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
        paper: isPaperMethod(method) ? PAPER_TABLE[method][t] : null,
        expected: expectedOf(method).table[t],
        source: expectedOf(method).source,
      });
    }
  }
  return { rows, tolerance };
}
