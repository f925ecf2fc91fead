// Batch normalization (Ioffe & Szegedy 2015): mini-batch statistics in training; in evaluation, population
// statistics (model.bnStats population, the default: see population.ts) or exponential running averages
// (bnStats running, the Keras/PyTorch approximation, updated at every training step with bnMomentum).
import * as tf from '@tensorflow/tfjs';
import { moduleOf } from '../../util/module';
import { variableFrom } from '../../util/variables';
import { normalizeScaleShift } from '../normalize';
import type { NormLayer, NormOptions } from '../types';
import { addBatchStatistics, collectingPopulation, type BatchStatistics, type PopulationTarget } from './population';
import { batchSettings, type BnStatistics } from './spec';

export interface BatchNormState extends PopulationTarget {
  gain: tf.Variable<tf.Rank.R1>;
  bias: tf.Variable<tf.Rank.R1>;
  /**
   * [units] the mean and (unbiased) variance evaluation normalizes with: written by a population pass, or
   * moved toward each training batch's statistics (running). They start at 0 and 1.
   */
  mean: tf.Variable<tf.Rank.R1>;
  variance: tf.Variable<tf.Rank.R1>;
  epsilon: number;
  statistics: BnStatistics;
  momentum: number;
}

/** The [units] evaluation statistics, at their initial values 0 and 1. */
export function evaluationStatistics(name: string, units: number): PopulationTarget {
  return {
    mean: variableFrom(`${name}/mean`, () => tf.zeros<tf.Rank.R1>([units]), false),
    variance: variableFrom(`${name}/variance`, () => tf.ones<tf.Rank.R1>([units]), false),
  };
}

/**
 * What a training batch of n examples does with its statistics (mean and biased variance): during a population
 * pass, add them to it; with running averages, move them toward the batch's mean and unbiased variance
 * (var * n / (n - 1), Ioffe & Szegedy's inference rule); otherwise nothing. A batch of one carries no variance
 * and moves nothing (configs cannot ask for one; the late steps of masked sequences can hold one live row).
 */
export function recordStatistics(s: BatchNormState, batch: BatchStatistics): void {
  if (!keepsStatistics(s)) return;
  if (collectingPopulation()) return addBatchStatistics(s, batch);
  const n = batch.count;
  if (s.statistics !== 'running' || n < 2) return;
  tf.tidy(() => {
    const unbiased = tf.mul(tf.reshape(batch.variance, [-1]), n / (n - 1));
    s.mean.assign(tf.add(tf.mul(s.mean, s.momentum), tf.mul(tf.reshape(batch.mean, [-1]), 1 - s.momentum)));
    s.variance.assign(tf.add(tf.mul(s.variance, s.momentum), tf.mul(unbiased, 1 - s.momentum)));
  });
}

/** True when a training batch's statistics go somewhere: a population pass is collecting, or running averages move. */
export const keepsStatistics = (s: BatchNormState): boolean => collectingPopulation() || s.statistics === 'running';

/** Training: normalizes x [batch, units] with the batch's mean and biased variance. */
export function batchNormTrain(x: tf.Tensor2D, s: BatchNormState): tf.Tensor2D {
  const n = x.shape[0];
  return normalizeScaleShift({
    x,
    gain: s.gain,
    bias: s.bias,
    axis: 0,
    epsilon: s.epsilon,
    onStats: (mean, variance) => recordStatistics(s, { mean, variance, count: n }),
  });
}

/**
 * Training on the live rows of x only (mask [batch, 1]: 1 live, 0 padding; `live` of them): the statistics
 * come from the live rows; padded rows are normalized with them but enter nothing.
 * Composite ops with tfjs autodiff (only padded recurrent batches take this path).
 */
export function batchNormTrainMasked(x: tf.Tensor2D, s: BatchNormState, mask: tf.Tensor2D, live: number): tf.Tensor2D {
  if (live < 1) throw new Error('batchNormTrainMasked: no live rows');
  const mean = tf.div(tf.sum(tf.mul(x, mask), 0), live);
  const centered = tf.sub(x, mean);
  const variance = tf.div(tf.sum(tf.mul(tf.square(centered), mask), 0), live);
  recordStatistics(s, { mean, variance, count: live });
  return tf.add(tf.mul(tf.mul(centered, tf.rsqrt(tf.add(variance, s.epsilon))), s.gain), s.bias) as tf.Tensor2D;
}

/** Population spread (standard deviation / |mean|) at or below which a unit counts as constant: ~8 float32 ulps. */
const CONSTANT_SPREAD = 1e-6;

/**
 * Evaluation: g * (x - mean) / sqrt(variance + eps) + b with the evaluation statistics.
 *
 * With population statistics, a unit whose spread is within float32 rounding of its mean (variance 0, in
 * practice) took one value in every training example, and training mode mapped it to b; evaluation does the
 * same. Computed as above, x - mean is there a rounding difference between two ways of computing the same value,
 * multiplied by g / sqrt(eps) (316 g), and in a BN-LSTM such units follow each other over the blank first rows of
 * every digit (416 of 8,064 unit-steps in a trained ci-gain-init-lstm model), so the rounding grew step after
 * step: predictions on the training set agreed with training mode (whole set as one batch) for 73.5% of the
 * digits, 94.9% with these units at b.
 */
export function batchNormEval(x: tf.Tensor2D, s: BatchNormState): tf.Tensor2D {
  return tf.tidy(() => {
    let scale = tf.mul(s.gain, tf.rsqrt(tf.add(s.variance, s.epsilon)));
    if (s.statistics === 'population') {
      const constant = tf.lessEqual(s.variance, tf.mul(tf.square(s.mean), CONSTANT_SPREAD ** 2));
      scale = tf.where(constant, tf.zerosLike(scale), scale);
    }
    return tf.add(tf.mul(tf.sub(x, s.mean), scale), s.bias);
  });
}

export function createBatchNorm({ name, units, positions = 1, settings }: NormOptions): NormLayer {
  const own = batchSettings(settings);
  const s: BatchNormState = {
    gain: variableFrom(`${name}/gain`, () => tf.fill<tf.Rank.R1>([units], settings.gainInit)),
    bias: variableFrom(`${name}/bias`, () => tf.fill<tf.Rank.R1>([units], settings.biasInit)),
    ...evaluationStatistics(name, units),
    epsilon: settings.epsilon,
    statistics: own.bnStats,
    momentum: own.bnMomentum,
  };
  // Statistics per unit (channel) over the batch and all positions: [batch, P*units] is seen as [batch*P, units].
  const apply = (x: tf.Tensor2D, training: boolean) => (training ? batchNormTrain(x, s) : batchNormEval(x, s));
  return {
    ...moduleOf([s.gain, s.bias], () => [s.mean, s.variance]),
    apply: (x, training) =>
      positions === 1 ? apply(x, training) : tf.reshape(apply(tf.reshape(x, [-1, units]), training), x.shape),
  };
}
