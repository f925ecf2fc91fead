// RMSNorm (Zhang & Sennrich 2019): y = g * a / sqrt(mean(a^2) + eps) + b, per example over a layer's units (a convnet's
// positions and channels), the same at train and test time; layer norm without its re-centering. Inside a recurrence
// it goes where layer norm goes (RMS-LSTM, RMS-GRU), one gain and bias shared over time.
import * as tf from '@tensorflow/tfjs';
import { variableFrom } from '../../util/variables';
import { moduleOf } from '../../util/module';
import { normalizeScaleShift } from '../normalize';
import type { NormImplementation, NormLayer, NormOptions } from '../types';

/** RMS(a) = g * a / sqrt(mean(a^2) + eps) + b for a: [batch, units]. */
export function rmsNorm(x: tf.Tensor2D, gain: tf.Tensor1D, bias: tf.Tensor1D, epsilon: number): tf.Tensor2D {
  return normalizeScaleShift({ x, gain, bias, axis: 1, epsilon, center: false });
}

export function createRmsNorm({
  name,
  units,
  positions = 1,
  settings,
}: NormOptions): NormLayer & { gain: tf.Variable<tf.Rank.R1>; bias: tf.Variable<tf.Rank.R1> } {
  const gain = variableFrom(`${name}/gain`, () => tf.fill<tf.Rank.R1>([units], settings.gainInit));
  const bias = variableFrom(`${name}/bias`, () => tf.fill<tf.Rank.R1>([units], settings.biasInit));
  const perColumn = (v: tf.Tensor1D) => (positions === 1 ? v : tf.tile(v, [positions]));
  return {
    ...moduleOf([gain, bias]),
    gain,
    bias,
    apply: (x) => rmsNorm(x, perColumn(gain), perColumn(bias), settings.epsilon),
  };
}

export const implementation: NormImplementation = {
  layer: createRmsNorm,
  recurrent: ({ name, units, settings }) => {
    const norm = createRmsNorm({ name, units, settings });
    const fused = {
      axis: 1 as const,
      center: false,
      epsilon: settings.epsilon,
      gain: norm.gain,
      bias: norm.bias,
      fusable: () => true,
    };
    return { ...norm, fused, apply: (x, _t, training) => norm.apply(x, training) };
  },
};
