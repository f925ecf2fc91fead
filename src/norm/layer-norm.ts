// Layer normalization (Ba et al. 2016, eq. 4): per example, over a layer's units; same at train and test.
import * as tf from '@tensorflow/tfjs';
import { normalizeScaleShift } from './normalize';
import type { NormLayer, NormOptions } from './types';
import { variableFrom } from '../util/variables';

/** LN(a) = g * (a - mu_example) / sqrt(var_example + eps) + b for a: [batch, units]. */
export function layerNorm(x: tf.Tensor2D, gain: tf.Tensor1D, bias: tf.Tensor1D, epsilon: number): tf.Tensor2D {
  return normalizeScaleShift({ x, gain, bias, axis: 1, epsilon });
}

export function createLayerNorm(opts: NormOptions): NormLayer {
  const gain = variableFrom(`${opts.name}/gain`, () => tf.fill<tf.Rank.R1>([opts.units], opts.gainInit));
  const bias = variableFrom(`${opts.name}/bias`, () => tf.fill<tf.Rank.R1>([opts.units], opts.biasInit));
  const positions = opts.positions ?? 1;
  // Statistics over all of an example's positions and units; gain and bias repeat over the positions.
  const perColumn = (v: tf.Tensor1D) => (positions === 1 ? v : tf.tile(v, [positions]));
  return {
    trainable: [gain, bias],
    state: [],
    apply: (x) => layerNorm(x, perColumn(gain), perColumn(bias), opts.epsilon),
  };
}
