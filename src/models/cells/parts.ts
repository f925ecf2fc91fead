// What the cells share: the initial state, their weights (weight norm's among them), and the norm of each of their
// terms.
//
// The initial state (the paper does not say): with h_0 = 0, W_h h_0 is exactly zero, and layer norm of an
// all-zero vector returns its bias but has a Jacobian of g / sqrt(eps) (316x for eps 1e-5). Where the input
// is zero too (the blank top rows of an MNIST digit), the whole state stays exactly zero step after step, and
// the gradient is multiplied by ~300 at every such step: 1e31 after the first rows of sequential MNIST, then
// overflow. So h_0 is a small fixed random vector (uniform in +-model.h0Scale, default 0.1, seeded by train.seed,
// not trained): a "small noisy h_0" (our choice, not the paper's), the same for every cell kind (plain cells
// included, so that the models compared differ only in their norms); c_0 = 0.
import * as tf from '@tensorflow/tfjs';
import { rngFor } from '../../data/rng';
import { buildRecurrentNorm, buildWeight } from '../../norm/registry';
import type { NormWeight, RecurrentNorm, StepMask } from '../../norm/types';
import { moduleOf, type Module } from '../../util/module';
import { variableFrom } from '../../util/variables';
import { glorotUniform } from '../init';
import type { CellOptions } from './types';

/** h_0: H values uniform in [-scale, scale], from the (seed, 'initial-state') stream. */
export function initialHidden(hidden: number, scale: number, seed = 0): Float32Array {
  const rng = rngFor(seed, 'initial-state');
  return Float32Array.from({ length: hidden }, () => (2 * rng() - 1) * scale);
}

/** [batch, H] copies of h_0. */
export function tiled(h0: Float32Array, batch: number): tf.Tensor2D {
  return tf.tidy(() => tf.tile(tf.tensor2d(h0, [1, h0.length]), [batch, 1]) as tf.Tensor2D);
}

/**
 * The cell's weight of one role (`W_x`, ...), [rows, cols], Glorot uniform, made by the norm's weight builder: a
 * variable, or weight norm's v and its gains, which join `params` as `<role>` and `<role>/g`. Its value is what the
 * step multiplies by (weight norm: g * v / ||v|| per column, made where it is called: at every step op by op, once a
 * sequence by the fused cells' inputWeights and recurrentWeights, once a step by their single step).
 */
export function cellWeight(
  o: CellOptions,
  params: Record<string, tf.Variable>,
  [role, rows, cols]: [string, number, number],
): NormWeight<tf.Rank.R2> {
  const values = glorotUniform(rows, cols, o.rng);
  const w = buildWeight<tf.Rank.R2>(o.config, { name: `${o.name}/${role}`, shape: [rows, cols], values });
  params[role] = w.v;
  if (w.gain) params[`${role}/g`] = w.gain;
  return w;
}

export function vector(name: string, values: number[] | Float32Array): tf.Variable<tf.Rank.R1> {
  return variableFrom(name, () => tf.tensor1d(values));
}

export type StepNorm = (a: tf.Tensor2D, t: number, training: boolean, mask?: StepMask) => tf.Tensor2D;
const identity: StepNorm = (a) => a;

/**
 * A cell as a Module: its parameters by role, in the order they were made (weights, then each term's norm), and its
 * norms' buffers (batch norm's per-step statistics, which grow as steps are first trained); whether a norm takes its
 * statistics over the batch.
 */
export const cellModule = (
  params: Record<string, tf.Variable>,
  norms: readonly RecurrentNorm[],
): Module & { batchStatistics: boolean } => ({
  ...moduleOf(Object.values(params), () => norms.flatMap((n) => n.buffers())),
  batchStatistics: norms.some((n) => n.fused?.axis === 0),
});

/**
 * The norms of a cell's terms, from the norm registry. `term(role, units)` (role e.g. `ln_h`) returns the term's
 * norm as a function (identity for a norm with no layers); its gain and bias join `params` as `<role>/gain` and
 * `<role>/bias` (the bias when trained), and `norms` lists every norm built (the cell's child modules).
 */
export function termNorms(o: CellOptions, params: Record<string, tf.Variable>) {
  const norms: RecurrentNorm[] = [];
  /** The norms by role, for the fused cells. */
  const byRole: Record<string, RecurrentNorm> = {};
  // trainBias: batch norm only (its gate terms' bias stays 0, the LSTM's b carries it); layer norm trains its bias.
  const term = (role: string, units: number, trainBias = true): StepNorm => {
    const norm = buildRecurrentNorm(o.config, { name: `${o.name}/${role}`, units, trainBias });
    if (!norm) return identity;
    norm.parameters().forEach((v, k) => (params[`${role}/${k === 0 ? 'gain' : 'bias'}`] = v));
    norms.push(norm);
    byRole[role] = norm;
    return (a, t, training, mask) => norm.apply(a, t, training, mask);
  };
  return { term, norms, byRole };
}
