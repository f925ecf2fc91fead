// Batch norm inside a recurrence (Cooijmans et al. 2016): one gain and bias shared over time, batch statistics
// and evaluation statistics (population or running averages, see batch-norm.ts) kept separately for each time
// step; at evaluation, steps beyond the longest trained one reuse the last step's.
import * as tf from '@tensorflow/tfjs';
import { variableFrom } from '../../util/variables';
import type { Module } from '../../util/module';
import type { FusedNorm, RecurrentNormOptions, StepMask } from '../types';
import {
  batchNormEval,
  batchNormTrain,
  batchNormTrainMasked,
  evaluationStatistics,
  keepsStatistics,
  recordStatistics,
  type BatchNormState,
} from './batch-norm';
import { batchSettings, type BatchNormSettings } from './spec';

/**
 * One gain and bias over time (the bias held at zero, a buffer, where `trainBias` is false: the LSTM's own bias
 * carries the shift, as for the gate terms in Cooijmans et al.), and each step's evaluation statistics.
 */
export class RecurrentBatchNorm implements Module {
  readonly gain: tf.Variable<tf.Rank.R1>;
  readonly bias: tf.Variable<tf.Rank.R1>;
  private readonly steps: BatchNormState[] = [];
  private readonly own: BatchNormSettings;
  /** The norm as a fused cell computes it: statistics per unit over the live rows; evaluation is not fused. */
  readonly fused: FusedNorm;

  constructor(private readonly opts: RecurrentNormOptions) {
    const { name, units, settings, trainBias } = opts;
    this.own = batchSettings(settings);
    this.gain = variableFrom(`${name}/gain`, () => tf.fill<tf.Rank.R1>([units], settings.gainInit));
    const bias = trainBias ? settings.biasInit : 0;
    this.bias = variableFrom(`${name}/bias`, () => tf.fill<tf.Rank.R1>([units], bias), trainBias);
    this.fused = {
      axis: 0,
      epsilon: settings.epsilon,
      gain: this.gain,
      bias: this.bias,
      fusable: (training) => training,
      step: (t, statistics, count) => {
        const s = this.stepState(t);
        if (keepsStatistics(s)) recordStatistics(s, { ...statistics(), count });
      },
    };
  }

  parameters(): tf.Variable[] {
    return this.opts.trainBias ? [this.gain, this.bias] : [this.gain];
  }

  buffers(): tf.Variable[] {
    const perStep = this.steps.flatMap((s) => [s.mean, s.variance]);
    return this.opts.trainBias ? perStep : [this.bias, ...perStep];
  }

  private stepState(t: number): BatchNormState {
    while (this.steps.length <= t) {
      const k = this.steps.length;
      this.steps.push({
        gain: this.gain,
        bias: this.bias,
        ...evaluationStatistics(`${this.opts.name}/t${k}`, this.opts.units),
        epsilon: this.opts.settings.epsilon,
        statistics: this.own.bnStats,
        momentum: this.own.bnMomentum,
      });
    }
    return this.steps[t];
  }

  /** x [batch, units] at time step t (0-based); in training, only the rows `mask` marks live enter the statistics. */
  apply(x: tf.Tensor2D, t: number, training: boolean, mask?: StepMask): tf.Tensor2D {
    if (training)
      return mask && mask.live < x.shape[0]
        ? batchNormTrainMasked(x, this.stepState(t), mask.mask, mask.live)
        : batchNormTrain(x, this.stepState(t));
    if (this.steps.length === 0) throw new Error(`${this.opts.name}: evaluated before any training step`);
    return batchNormEval(x, this.steps[Math.min(t, this.steps.length - 1)]);
  }
}
