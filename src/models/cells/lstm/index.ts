// The LSTM of the paper's supplementary material, plain, with layer norm (LN-LSTM), RMSNorm (RMS-LSTM, Zhang &
// Sennrich 2019: layer norm without re-centering) or recurrent batch norm (BN-LSTM, Cooijmans et al. 2016) on W_h h,
// W_x x and the cell state, or with weight norm of W_x and W_h (each of the 4H columns); gate order f, i, o, g.
import * as tf from '@tensorflow/tfjs';
import { normSpec } from '../../../norm/catalog';
import { cellModule, cellWeight, initialHidden, termNorms, tiled, vector } from '../parts';
import { fusedKernels, fusedNormOf, fusedStep, lstmBatchStatistics, type FusedCell } from '../fused';
import type { FusedNorm, NormWeight } from '../../../norm/types';
import type { Cell, CellOptions } from '../types';

/** W_x and W_h as the products take them: variables, or weight norm's made from v and g where they are asked for. */
type Weights = { x: NormWeight<tf.Rank.R2>; h: NormWeight<tf.Rank.R2> };

/** The cell as the fused kernels compute it, where the backend has them and its norms can be fused in this mode. */
function fusedLstm(
  o: CellOptions,
  [params, weights]: [Record<string, tf.Variable>, Weights],
  terms: (FusedNorm | undefined)[],
  training: boolean,
): FusedCell | undefined {
  const norm = fusedKernels('lstm') ? fusedNormOf(terms, training) : undefined;
  if (!norm) return undefined;
  const H = o.config.hidden;
  const [nh, nx, nc] = terms as FusedNorm[];
  return {
    kind: 'lstm',
    norm,
    epsilon: o.config.epsilon,
    hidden: H,
    h0: initialHidden(H, o.config.h0Scale, o.seed),
    inputWeights: () => weights.x.value(),
    recurrentWeights: () => weights.h.value(),
    vec: () =>
      norm === 'none'
        ? (params.b as tf.Tensor1D)
        : tf.concat([params.b as tf.Tensor1D, nh.gain, nh.bias, nx.gain, nx.bias, nc.gain, nc.bias]),
    stepStatistics: norm === 'batch' ? lstmBatchStatistics([nh, nx, nc], H) : () => undefined,
  };
}

export function createLstm(o: CellOptions): Cell {
  const H = o.config.hidden;
  const params: Record<string, tf.Variable> = {};
  const weights = { x: cellWeight(o, params, ['W_x', o.inputs, 4 * H]), h: cellWeight(o, params, ['W_h', H, 4 * H]) };
  params.b = vector(
    `${o.name}/b`,
    Float32Array.from({ length: 4 * H }, (_, j) => (j < H ? o.config.forgetBias : 0)),
  );
  const { term, norms, byRole } = termNorms(o, params);
  const prefix = normSpec(o.config.norm).abbreviation;
  // The gate terms keep a zero bias under batch norm (the LSTM's b carries it), the cell's is trained.
  const [nh, nx, nc] = [term(`${prefix}_h`, 4 * H, false), term(`${prefix}_x`, 4 * H, false), term(`${prefix}_c`, H)];
  const h0 = initialHidden(H, o.config.h0Scale, o.seed);
  const termsFused = ['h', 'x', 'c'].map((k) => byRole[`${prefix}_${k}`]?.fused);
  const fused = (training: boolean) => fusedLstm(o, [params, weights], norms.length ? termsFused : [], training);
  return {
    params,
    h0,
    ...cellModule(params, norms),
    initial: (batch) => ({ h: tiled(h0, batch), c: tf.zeros([batch, H]) }),
    fused,
    step(x, s, t, training, mask) {
      const fusedCell = mask ? undefined : fused(training);
      if (fusedCell) return fusedStep(fusedCell, x, s, t);
      const gates = tf.add(
        tf.add(
          nh(tf.matMul(s.h, weights.h.value()), t, training, mask),
          nx(tf.matMul(x, weights.x.value()), t, training, mask),
        ),
        params.b,
      ) as tf.Tensor2D;
      const [f, i, og, g] = tf.split(gates, 4, 1);
      const c = tf.add(tf.mul(tf.sigmoid(f), s.c!), tf.mul(tf.sigmoid(i), tf.tanh(g))) as tf.Tensor2D;
      const h = tf.mul(tf.sigmoid(og), tf.tanh(nc(c, t, training, mask))) as tf.Tensor2D;
      return { h, c };
    },
  };
}

export const implementation = { create: createLstm };
