// Layer normalization (Ba et al. 2016, eq. 4): per example, over a layer's units; the same at train and test time.
// Inside a recurrence its statistics are recomputed at every step (t plays no part), one gain and bias over time.
import * as tf from '@tensorflow/tfjs';
import { variableFrom } from '../../util/variables';
import { moduleOf } from '../../util/module';
import { normalizeScaleShift } from '../normalize';
import type { NormImplementation, NormLayer, NormOptions } from '../types';

/** LN(a) = g * (a - mu_example) / sqrt(var_example + eps) + b for a: [batch, units]. */
export function layerNorm(x: tf.Tensor2D, gain: tf.Tensor1D, bias: tf.Tensor1D, epsilon: number): tf.Tensor2D {
  return normalizeScaleShift({ x, gain, bias, axis: 1, epsilon });
}

export function createLayerNorm({
  name,
  units,
  positions = 1,
  settings,
}: NormOptions): NormLayer & { gain: tf.Variable<tf.Rank.R1>; bias: tf.Variable<tf.Rank.R1> } {
  const gain = variableFrom(`${name}/gain`, () => tf.fill<tf.Rank.R1>([units], settings.gainInit));
  const bias = variableFrom(`${name}/bias`, () => tf.fill<tf.Rank.R1>([units], settings.biasInit));
  // Statistics over all of an example's positions and units; gain and bias repeat over the positions.
  const perColumn = (v: tf.Tensor1D) => (positions === 1 ? v : tf.tile(v, [positions]));
  return {
    ...moduleOf([gain, bias]),
    gain,
    bias,
    apply: (x) => layerNorm(x, perColumn(gain), perColumn(bias), settings.epsilon),
  };
}

export const implementation: NormImplementation = {
  layer: createLayerNorm,
  recurrent: ({ name, units, settings }) => {
    const ln = createLayerNorm({ name, units, settings });
    const fused = { axis: 1 as const, epsilon: settings.epsilon, gain: ln.gain, bias: ln.bias, fusable: () => true };
    return { ...ln, fused, apply: (x, _t, training) => ln.apply(x, training) };
  },
};
