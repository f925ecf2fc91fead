// Batch normalization (Ioffe & Szegedy 2015): mini-batch statistics in training, running averages at test.
import * as tf from '@tensorflow/tfjs';
import { normalizeScaleShift } from './normalize';
import type { NormLayer, NormOptions } from './types';
import { variableFrom } from '../util/variables';

export interface BatchNormState {
  gain: tf.Variable<tf.Rank.R1>;
  bias: tf.Variable<tf.Rank.R1>;
  /** [units] running mean and (unbiased) variance, updated in training forward passes. */
  runningMean: tf.Variable<tf.Rank.R1>;
  runningVariance: tf.Variable<tf.Rank.R1>;
  epsilon: number;
  momentum: number;
}

/**
 * Training: normalizes x [batch, units] with the batch's mean and biased variance, and moves the running
 * averages toward the batch's mean and unbiased variance (var * n / (n - 1), as Ioffe & Szegedy's inference rule).
 */
export function batchNormTrain(x: tf.Tensor2D, s: BatchNormState): tf.Tensor2D {
  const n = x.shape[0];
  const updateRunning = (mean: tf.Tensor, variance: tf.Tensor) =>
    tf.tidy(() => {
      const unbiased = tf.mul(tf.reshape(variance, [-1]), n > 1 ? n / (n - 1) : 1);
      s.runningMean.assign(tf.add(tf.mul(s.runningMean, s.momentum), tf.mul(tf.reshape(mean, [-1]), 1 - s.momentum)));
      s.runningVariance.assign(tf.add(tf.mul(s.runningVariance, s.momentum), tf.mul(unbiased, 1 - s.momentum)));
    });
  return normalizeScaleShift({ x, gain: s.gain, bias: s.bias, axis: 0, epsilon: s.epsilon, onStats: updateRunning });
}

/**
 * Training on the live rows of x only (mask [batch, 1]: 1 live, 0 padding; `live` of them): the statistics
 * and running averages come from the live rows; padded rows are normalized with them but enter nothing.
 * Composite ops with tfjs autodiff (only padded recurrent batches take this path).
 */
export function batchNormTrainMasked(x: tf.Tensor2D, s: BatchNormState, mask: tf.Tensor2D, live: number): tf.Tensor2D {
  if (live < 1) throw new Error('batchNormTrainMasked: no live rows');
  const mean = tf.div(tf.sum(tf.mul(x, mask), 0), live);
  const centered = tf.sub(x, mean);
  const variance = tf.div(tf.sum(tf.mul(tf.square(centered), mask), 0), live);
  tf.tidy(() => {
    const unbiased = tf.mul(variance, live > 1 ? live / (live - 1) : 1);
    s.runningMean.assign(tf.add(tf.mul(s.runningMean, s.momentum), tf.mul(mean, 1 - s.momentum)));
    s.runningVariance.assign(tf.add(tf.mul(s.runningVariance, s.momentum), tf.mul(unbiased, 1 - s.momentum)));
  });
  return tf.add(tf.mul(tf.mul(centered, tf.rsqrt(tf.add(variance, s.epsilon))), s.gain), s.bias) as tf.Tensor2D;
}

/** Evaluation: g * (x - running_mean) / sqrt(running_var + eps) + b. */
export function batchNormEval(x: tf.Tensor2D, s: BatchNormState): tf.Tensor2D {
  return tf.tidy(() => {
    const scale = tf.mul(s.gain, tf.rsqrt(tf.add(s.runningVariance, s.epsilon)));
    return tf.add(tf.mul(tf.sub(x, s.runningMean), scale), s.bias);
  });
}

export function createBatchNorm(opts: NormOptions): NormLayer {
  const s: BatchNormState = {
    gain: variableFrom(`${opts.name}/gain`, () => tf.fill<tf.Rank.R1>([opts.units], opts.gainInit)),
    bias: variableFrom(`${opts.name}/bias`, () => tf.fill<tf.Rank.R1>([opts.units], opts.biasInit)),
    runningMean: variableFrom(`${opts.name}/running_mean`, () => tf.zeros<tf.Rank.R1>([opts.units]), false),
    runningVariance: variableFrom(`${opts.name}/running_variance`, () => tf.ones<tf.Rank.R1>([opts.units]), false),
    epsilon: opts.epsilon,
    momentum: opts.momentum,
  };
  // Statistics per unit (channel) over the batch and all positions: [batch, P*units] is seen as [batch*P, units].
  const positions = opts.positions ?? 1;
  const apply = (x: tf.Tensor2D, training: boolean) => (training ? batchNormTrain(x, s) : batchNormEval(x, s));
  return {
    trainable: [s.gain, s.bias],
    state: [s.runningMean, s.runningVariance],
    apply: (x, training) => (positions === 1 ? apply(x, training) : tf.reshape(apply(tf.reshape(x, [-1, opts.units]), training), x.shape)),
  };
}
