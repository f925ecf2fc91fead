// Layer normalization (Ba et al. 2016, eq. 4): per example, over a layer's units; the same at train and test time.
// Inside a recurrence its statistics are recomputed at every step (t plays no part), one gain and bias over time.
// RMSNorm (src/norm/rms) is the same layer without re-centering: both are built here, `center` telling them apart.
import * as tf from '@tensorflow/tfjs';
import { variableFrom } from '../../util/variables';
import { moduleOf } from '../../util/module';
import { normalizeScaleShift } from '../normalize';
import type { NormImplementation, NormLayer, NormOptions, RecurrentNorm, RecurrentNormOptions } from '../types';

/** LN(a) = g * (a - mu_example) / sqrt(var_example + eps) + b for a: [batch, units]. */
export function layerNorm(x: tf.Tensor2D, gain: tf.Tensor1D, bias: tf.Tensor1D, epsilon: number): tf.Tensor2D {
  return normalizeScaleShift({ x, gain, bias, axis: 1, epsilon });
}

type RowNorm = NormLayer & { gain: tf.Variable<tf.Rank.R1>; bias: tf.Variable<tf.Rank.R1> };

/** A per-example norm over a layer's units: layer norm, or RMSNorm with `center` false. */
export function createRowNorm({ name, units, positions = 1, settings }: NormOptions, center = true): RowNorm {
  const gain = variableFrom(`${name}/gain`, () => tf.fill<tf.Rank.R1>([units], settings.gainInit));
  const bias = variableFrom(`${name}/bias`, () => tf.fill<tf.Rank.R1>([units], settings.biasInit));
  // Statistics over all of an example's positions and units; gain and bias repeat over the positions.
  const perColumn = (v: tf.Tensor1D) => (positions === 1 ? v : tf.tile(v, [positions]));
  const epsilon = settings.epsilon;
  return {
    ...moduleOf([gain, bias]),
    gain,
    bias,
    apply: (x) => normalizeScaleShift({ x, gain: perColumn(gain), bias: perColumn(bias), axis: 1, epsilon, center }),
  };
}

export const createLayerNorm = (o: NormOptions): RowNorm => createRowNorm(o);

/** The row norm inside a cell, with what the fused cells need to compute it themselves. */
export function recurrentRowNorm({ name, units, settings }: RecurrentNormOptions, center = true): RecurrentNorm {
  const norm = createRowNorm({ name, units, settings }, center);
  const fused = {
    axis: 1 as const,
    center,
    epsilon: settings.epsilon,
    gain: norm.gain,
    bias: norm.bias,
    fusable: () => true,
  };
  return { ...norm, fused, apply: (x, _t, training) => norm.apply(x, training) };
}

export const implementation: NormImplementation = { layer: createLayerNorm, recurrent: (o) => recurrentRowNorm(o) };
