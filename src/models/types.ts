// What a model kind's implementation gives (src/models/<kind>/index.ts): a builder of the model, a Module, and an
// estimate of its size that the memory check reads before anything is built.
import type * as tf from '@tensorflow/tfjs';
import type { Module } from '../util/module';

/** What a task tells a model of its data. */
export interface DataShape {
  /** One example's shape as the model reads it: [784] (flat), [28, 28, 1] (image), [T, D] (a sequence's steps). */
  shape: readonly number[];
  /** Classes of the labels (classifiers). */
  classes?: number;
  /** Words of the token vocabulary (a sentence encoder's embedding rows), and tokens of the longest sequence. */
  vocabulary?: number;
  maxTokens?: number;
}

export interface BuildOptions<C> {
  config: C;
  data: DataShape;
  /** Seeds the weight initialization (train.seed). */
  seed: number;
}

/** A model's size before it is built: what the memory check (src/experiments/limits.ts) needs. */
export interface ModelEstimate {
  /** Trained values (exactly what the built model's parameterCount gives). */
  parameters: number;
  /** Activation values per example of a training step, summed over layers and steps (what backpropagation keeps). */
  units: number;
  /** Activation values per example of the widest layer or step of a forward pass without gradients. */
  widest: number;
  /**
   * JavaScript heap a training step takes beside the tensors' values, where it grows with a key of the config:
   * tfjs's objects for each tensor and gradient-tape entry, recorded for every step a model unrolls (DRAW's
   * glimpses), and that key, for the message. Omitted where it stays small.
   */
  heap?: { bytes: number; key: string };
  /**
   * Copies of `units` a training step holds, where a model's differ from the usual 8 (src/experiments/limits.ts):
   * a recurrent stack whose backward pass runs step by step holds fewer.
   */
  trainCopies?: number;
}

export interface ModelImplementation<C = never, M extends Module = Module> {
  build(opts: BuildOptions<C>): M;
  estimate(config: C, data: DataShape): ModelEstimate;
}

/** A classifier (mlp, conv, rnn): a Module and its logits. */
export interface Classifier extends Module {
  /** [batch, ...shape] -> [batch, classes] unnormalized log-probabilities. */
  logits(x: tf.Tensor, training: boolean): tf.Tensor2D;
}
