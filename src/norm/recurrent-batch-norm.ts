// Batch norm inside a recurrence (Cooijmans et al. 2016): one gain and bias shared over time, batch statistics
// and evaluation statistics (population or running averages, see batch-norm.ts) kept separately for each time
// step; at evaluation, steps beyond the longest trained one reuse the last step's.
import * as tf from '@tensorflow/tfjs';
import type { BnStatistics } from '../config/schema';
import { variableFrom } from '../util/variables';
import {
  batchNormEval,
  batchNormTrain,
  batchNormTrainMasked,
  evaluationStatistics,
  type BatchNormState,
} from './batch-norm';

/** Which rows of a batch are live at one step of variable-length sequences: mask [batch, 1] of 1/0, `live` ones. */
export interface StepMask {
  mask: tf.Tensor2D;
  live: number;
}

export interface RecurrentBatchNormOptions {
  name: string;
  units: number;
  epsilon: number;
  statistics: BnStatistics;
  momentum: number;
  gainInit: number;
  /** Initial value of a trained bias. */
  biasInit: number;
  /** False: the bias stays at zero (the LSTM's own bias carries the shift), as for the gate terms in Cooijmans et al. */
  trainBias: boolean;
}

export class RecurrentBatchNorm {
  readonly gain: tf.Variable<tf.Rank.R1>;
  readonly bias: tf.Variable<tf.Rank.R1>;
  private readonly steps: BatchNormState[] = [];

  constructor(private readonly opts: RecurrentBatchNormOptions) {
    this.gain = variableFrom(`${opts.name}/gain`, () => tf.fill<tf.Rank.R1>([opts.units], opts.gainInit));
    const bias = opts.trainBias ? opts.biasInit : 0;
    this.bias = variableFrom(`${opts.name}/bias`, () => tf.fill<tf.Rank.R1>([opts.units], bias), opts.trainBias);
  }

  get trainable(): tf.Variable[] {
    return this.opts.trainBias ? [this.gain, this.bias] : [this.gain];
  }

  get state(): tf.Variable[] {
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
        epsilon: this.opts.epsilon,
        statistics: this.opts.statistics,
        momentum: this.opts.momentum,
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
