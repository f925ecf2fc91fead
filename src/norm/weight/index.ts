// Weight normalization (Salimans & Kingma 2016, eq. 2): each weight a hidden layer multiplies by is w = g * v / ||v||
// per output unit (the last axis; ||v|| over all the others), with the gradient of their eq. 3 by hand. Builds no
// layer: the layers and cells keep their own biases. g starts at model.gainInit * ||v|| (spec.ts says why); their
// data-dependent initialization is not built.
import * as tf from '@tensorflow/tfjs';
import { customOp } from '../../backend/internals';
import { moduleOf } from '../../util/module';
import { variableFrom } from '../../util/variables';
import type { NormImplementation, NormWeight, WeightOptions } from '../types';

/** Every axis of `shape` but the last (the output units'). */
const inputAxes = (shape: readonly number[]) => shape.slice(0, -1).map((_, i) => i);

/**
 * w = v * (g / ||v||) for v [..., units] and g [units], ||v|| per unit over every other axis. No epsilon, as PyTorch's
 * weight_norm: eq. 3's gradient is orthogonal to v, so plain gradient steps only lengthen a column; Adam's
 * per-coordinate scaling can shorten one, but a Glorot column of dozens of entries does not reach 0.
 * Backward (eq. 3): dg = (dw . v) / ||v||, dv = (g / ||v||) (dw - (dw . v) v / ||v||^2), per unit.
 */
export function weightNormalize<R extends tf.Rank>(v: tf.Tensor<R>, g: tf.Tensor1D): tf.Tensor<R> {
  const axes = inputAxes(v.shape);
  const [w] = customOp(
    [v, g],
    (save) => {
      const inverse = tf.rsqrt(tf.sum(tf.square(v), axes)); // [units] 1 / ||v||
      save([v, g, inverse]);
      return [tf.mul(v, tf.mul(g, inverse))];
    },
    ([dw], [vs, gs, inverse]) =>
      tf.tidy(() => {
        const projection = tf.sum(tf.mul(dw, vs), axes); // [units] dw . v
        const dg = tf.mul(projection, inverse);
        const along = tf.mul(projection, tf.square(inverse)); // (dw . v) / ||v||^2
        const dv = tf.mul(tf.sub(dw, tf.mul(vs, along)), tf.mul(gs, inverse));
        return [dv, dg];
      }),
  );
  return w as tf.Tensor<R>;
}

/** Each unit's (column's) Euclidean norm of `values`, row-major with the units last, in float64. */
export function columnNorms(values: ArrayLike<number>, units: number): Float64Array {
  const squares = new Float64Array(units);
  for (let i = 0; i < values.length; i++) squares[i % units] += values[i] * values[i];
  return squares.map(Math.sqrt);
}

/** v from the layer's init, g = model.gainInit * ||v|| per unit: the initial w is gainInit times the init. */
export function createWeightNorm<R extends tf.Rank>({ name, shape, values, settings }: WeightOptions): NormWeight<R> {
  const units = shape[shape.length - 1];
  const v = variableFrom(name, () => tf.tensor(values, shape as tf.ShapeMap[R]));
  const norms = columnNorms(values, units);
  const gain = variableFrom(`${name}/g`, () => tf.tensor1d(Float32Array.from(norms, (n) => settings.gainInit * n)));
  return { ...moduleOf([v, gain]), v, gain, value: () => weightNormalize(v, gain) };
}

export const implementation: NormImplementation = { weight: createWeightNorm };
