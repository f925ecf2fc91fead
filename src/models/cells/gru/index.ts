// The GRU and the LN-GRU of the paper's supplementary material:
//   (z, r) = sigmoid(W_h h + W_x x + b_zr); htilde = tanh(W x + r * (U h) + b_n); h' = (1 - z) h + z htilde;
// with layer norm, (z, r) = sigmoid(LN(W_h h) + LN(W_x x)) and htilde = tanh(LN(W x) + r * LN(U h)), the norms'
// biases in place of b_zr and b_n; RMSNorm (RMS-GRU) goes in the same four places; with weight norm, each column of
// W_x, W_h, W and U is g * v / ||v||, b_zr and b_n kept.
import * as tf from '@tensorflow/tfjs';
import { normSpec } from '../../../norm/catalog';
import { cellModule, cellWeight, initialHidden, termNorms, tiled, vector, type StepNorm } from '../parts';
import { fusedKernels, fusedNormOf, fusedStep, type FusedCell } from '../fused';
import type { FusedNorm, NormWeight } from '../../../norm/types';
import type { Cell, CellOptions, CellState } from '../types';

/** W_x, W_h, W and U by role, as the products take them (weight norm's made where they are asked for). */
type Weights = Record<'W_x' | 'W_h' | 'W' | 'U', NormWeight<tf.Rank.R2>>;

/** The cell as the fused kernels compute it, where the backend has them (none, layer norm or RMSNorm; weight norm's weights). */
function fusedGru(
  o: CellOptions,
  [params, weights]: [Record<string, tf.Variable>, Weights],
  terms: (FusedNorm | undefined)[],
  training: boolean,
): FusedCell | undefined {
  const norm = fusedKernels('gru') ? fusedNormOf(terms, training) : undefined;
  if (norm !== 'none' && norm !== 'layer' && norm !== 'rms') return undefined;
  const H = o.config.hidden;
  const own = [params.b_zr, params.b_n] as tf.Tensor1D[];
  return {
    kind: 'gru',
    norm,
    epsilon: o.config.epsilon,
    hidden: H,
    h0: initialHidden(H, o.config.h0Scale, o.seed),
    inputWeights: () => tf.concat([weights.W_x.value(), weights.W.value()], 1),
    recurrentWeights: () => tf.concat([weights.W_h.value(), weights.U.value()], 1),
    vec: () => tf.concat(norm === 'none' ? own : (terms as FusedNorm[]).flatMap((t) => [t.gain, t.bias])),
    stepStatistics: () => undefined,
  };
}

/** The step op by op (tfjs ops and autodiff): the reference the fused step is tested against. */
function opByOp([params, w]: [Record<string, tf.Variable>, Weights], [nh, nx, nw, nu]: StepNorm[], own: boolean) {
  return (x: tf.Tensor2D, s: CellState, t: number, training: boolean): CellState => {
    let zr: tf.Tensor = tf.add(
      nh(tf.matMul(s.h, w.W_h.value()), t, training),
      nx(tf.matMul(x, w.W_x.value()), t, training),
    );
    if (own) zr = tf.add(zr, params.b_zr);
    const [z, r] = tf.split(tf.sigmoid(zr), 2, 1);
    let pre: tf.Tensor = tf.add(
      nw(tf.matMul(x, w.W.value()), t, training),
      tf.mul(r, nu(tf.matMul(s.h, w.U.value()), t, training)),
    );
    if (own) pre = tf.add(pre, params.b_n);
    return { h: tf.add(tf.mul(tf.sub(1, z), s.h), tf.mul(z, tf.tanh(pre))) as tf.Tensor2D };
  };
}

export function createGru(o: CellOptions): Cell {
  const H = o.config.hidden;
  const params: Record<string, tf.Variable> = {};
  const shapes: [keyof Weights, number, number][] = [
    ['W_x', o.inputs, 2 * H], // to (z, r)
    ['W_h', H, 2 * H],
    ['W', o.inputs, H], // to the candidate
    ['U', H, H],
  ];
  const weights = Object.fromEntries(shapes.map((s) => [s[0], cellWeight(o, params, s)])) as Weights;
  const { term, norms, byRole } = termNorms(o, params);
  const norm = normSpec(o.config.norm);
  const p = norm.abbreviation;
  const [nh, nx, nw, nu] = [term(`${p}_h`, 2 * H), term(`${p}_x`, 2 * H), term(`${p}_w`, H), term(`${p}_u`, H)];
  // Without a norm the cell keeps its own biases.
  const own = norm.identity === true;
  if (own) {
    params.b_zr = vector(`${o.name}/b_zr`, new Float32Array(2 * H));
    params.b_n = vector(`${o.name}/b_n`, new Float32Array(H));
  }
  const h0 = initialHidden(H, o.config.h0Scale, o.seed);
  const compositeStep = opByOp([params, weights], [nh, nx, nw, nu], own);
  const termsFused = ['h', 'u', 'x', 'w'].map((k) => byRole[`${p}_${k}`]?.fused);
  const fused = (training: boolean) => fusedGru(o, [params, weights], norms.length ? termsFused : [], training);
  return {
    params,
    h0,
    ...cellModule(params, norms),
    initial: (batch) => ({ h: tiled(h0, batch) }),
    fused,
    step(x, s, t, training, mask) {
      const f = mask ? undefined : fused(training);
      if (f) return fusedStep(f, x, s, t);
      return compositeStep(x, s, t, training);
    },
  };
}

export const implementation = { create: createGru };
