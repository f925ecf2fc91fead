// Seeded weight initialization, drawn in JS so it is identical on every backend.
import * as tf from '@tensorflow/tfjs';
import type { Rng } from '../data/rng';
import { variableFrom } from '../util/variables';

/**
 * Glorot/Xavier uniform (Glorot & Bengio 2010; Keras' default for Dense):
 * W ~ U(-l, l) with l = sqrt(6 / (fanIn + fanOut)).
 */
export function glorotUniform(fanIn: number, fanOut: number, rng: Rng, count = fanIn * fanOut): Float32Array {
  const limit = Math.sqrt(6 / (fanIn + fanOut));
  const w = new Float32Array(count);
  for (let i = 0; i < w.length; i++) w[i] = (2 * rng() - 1) * limit;
  return w;
}

export function denseKernel(name: string, fanIn: number, fanOut: number, rng: Rng): tf.Variable<tf.Rank.R2> {
  const values = glorotUniform(fanIn, fanOut, rng);
  return variableFrom(name, () => tf.tensor2d(values, [fanIn, fanOut]));
}

export function zerosVariable(name: string, units: number): tf.Variable<tf.Rank.R1> {
  return variableFrom(name, () => tf.zeros<tf.Rank.R1>([units]));
}
