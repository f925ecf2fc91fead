// What a norm's implementation gives the models (src/norm/<name>/index.ts): a layer over a feed-forward layer's
// summed inputs, one inside a recurrence, the weight a layer multiplies by (weight norm), and the pass after each
// epoch that some norms need.
import type * as tf from '@tensorflow/tfjs';
import type { Module } from '../util/module';
import type { NormSettings } from './catalog';

export interface NormOptions {
  /** Variable name prefix, e.g. `hidden1/layer`. */
  name: string;
  units: number;
  /**
   * Positions sharing each unit's gain and bias (a convnet's height * width; 1 for a dense layer). Inputs are
   * [batch, positions * units] with the unit (channel) index fastest, as an NHWC tensor flattened per example.
   */
  positions?: number;
  /** The model's norm settings: epsilon, the gain and bias inits, and this norm's own keys. */
  settings: NormSettings;
}

export interface NormLayer extends Module {
  /** [batch, positions * units] -> the same shape. */
  apply(x: tf.Tensor2D, training: boolean): tf.Tensor2D;
}

/** Which rows of a batch are live at one step of variable-length sequences: mask [batch, 1] of 1/0, `live` ones. */
export interface StepMask {
  mask: tf.Tensor2D;
  live: number;
}

export interface RecurrentNormOptions {
  /** e.g. `rnn/lstm/ln_h`. */
  name: string;
  units: number;
  /** False where the cell keeps this term's bias at zero (its own bias carries the shift); layer norm ignores it. */
  trainBias: boolean;
  settings: NormSettings;
}

/**
 * What a fused recurrent cell (src/models/cells/fused.ts) needs to compute a norm inside its own kernels: the
 * statistics' axis, epsilon, the gain and bias, and, for a norm that keeps per-step statistics, where they go.
 */
export interface FusedNorm {
  /** 1: per example over the term's units (layer norm); 0: per unit over the batch's live rows (batch norm). */
  readonly axis: 0 | 1;
  /** false: no re-centering (RMSNorm: the mean is taken as 0); unset: true. */
  readonly center?: boolean;
  readonly epsilon: number;
  readonly gain: tf.Tensor1D;
  readonly bias: tf.Tensor1D;
  /**
   * Called after each training-mode step t with that step's statistics of this term over `count` live rows (mean
   * and biased variance, [units], made only when asked for): batch norm creates the step's evaluation statistics
   * and moves or collects them as `apply` would.
   */
  step?(t: number, statistics: () => { mean: tf.Tensor; variance: tf.Tensor }, count: number): void;
  /** False where the norm cannot be fused in this mode (batch norm at evaluation runs its composite path). */
  fusable(training: boolean): boolean;
}

/** A norm applied at every step of a recurrence, with one gain and bias shared over time. */
export interface RecurrentNorm extends Module {
  /** x [batch, units] at step t (0-based); `mask` keeps a variable-length batch's padded rows out of statistics. */
  apply(x: tf.Tensor2D, t: number, training: boolean, mask?: StepMask): tf.Tensor2D;
  /** The norm as the fused cells compute it; a norm without one makes its cells take their composite path. */
  readonly fused?: FusedNorm;
}

/**
 * A pass over the training set in training mode after each epoch, with the weights fixed (batch norm's population
 * statistics): the loop runs the model's forward pass on `batchSize` examples at a time between begin() and commit().
 */
export interface StatisticsPass {
  readonly batchSize: number;
  begin(): { commit(): void; end(): void };
}

export interface WeightOptions {
  /** The weight's variable name, e.g. `hidden1/kernel`, `rnn/lstm/W_x` (weight norm: v's; its gains `<name>/g`). */
  name: string;
  /**
   * Its shape, the output units last: a dense kernel's [inputs, units], a conv filter's [k, k, in, out], a cell's
   * [inputs, gates]. A norm of the weight normalizes each output unit's weights over all the other axes.
   */
  shape: number[];
  /** Its initial values (row-major, the models' seeded init). */
  values: Float32Array;
  settings: NormSettings;
}

/** The weight a layer multiplies by, made of trained variables. */
export interface NormWeight<R extends tf.Rank = tf.Rank> extends Module {
  /** The weight's own variable (named as the weight): the weight itself, or weight norm's direction v. */
  readonly v: tf.Variable<R>;
  /** Weight norm's per-unit gains g [units], named `<name>/g`; absent for a plain weight. */
  readonly gain?: tf.Variable<tf.Rank.R1>;
  /**
   * The weight the layer multiplies by, made from the variables by ops that the current gradient tape records (call
   * it where the weight is used, inside the loss function: at every forward pass, or once a sequence).
   */
  value(): tf.Tensor<R>;
}

/**
 * A norm's layers. `none` has none (a model then keeps its own biases); a norm that normalizes must have the
 * builder of each place it is used (norm/registry.ts refuses a silent identity). A norm of the weights rather than
 * the activations (weight norm) has `weight` instead: the builder of the weight a layer multiplies by, called where
 * the models make a hidden layer's or a cell's weight.
 */
export interface NormImplementation {
  layer?(o: NormOptions): NormLayer;
  recurrent?(o: RecurrentNormOptions): RecurrentNorm;
  weight?<R extends tf.Rank>(o: WeightOptions): NormWeight<R>;
  /** The pass after each epoch that the settings ask for, if any. */
  statisticsPass?(settings: NormSettings): StatisticsPass | undefined;
}
