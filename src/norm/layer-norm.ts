// Layer normalization (Ba et al. 2016, eq. 4): per example, over a layer's units; same at train and test.
import * as tf from '@tensorflow/tfjs';
import { normalizeScaleShift } from './normalize';
import type { NormLayer, NormOptions } from './types';

/** LN(a) = g * (a - mu_example) / sqrt(var_example + eps) + b for a: [batch, units]. */
export function layerNorm(x: tf.Tensor2D, gain: tf.Tensor1D, bias: tf.Tensor1D, epsilon: number): tf.Tensor2D {
  return normalizeScaleShift({ x, gain, bias, axis: 1, epsilon });
}

export function createLayerNorm(opts: NormOptions): NormLayer {
  const gain = tf.variable(tf.fill([opts.units], opts.gainInit), true, `${opts.name}/gain`) as tf.Variable<tf.Rank.R1>;
  const bias = tf.variable(tf.fill([opts.units], opts.biasInit), true, `${opts.name}/bias`) as tf.Variable<tf.Rank.R1>;
  return {
    trainable: [gain, bias],
    state: [],
    apply: (x) => layerNorm(x, gain, bias, opts.epsilon),
  };
}
