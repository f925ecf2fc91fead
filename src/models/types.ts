// What the trainer sees of a model: its variables and a logits function.
import type * as tf from '@tensorflow/tfjs';

export interface Model {
  /** Everything the optimizer updates. */
  readonly trainable: tf.Variable[];
  /** State that is not trained (batch norm's running averages). */
  readonly state: tf.Variable[];
  /** [batch, ...inputShape] -> [batch, classes] unnormalized log-probabilities. */
  logits(x: tf.Tensor, training: boolean): tf.Tensor2D;
}

export interface BuildOptions<C> {
  config: C;
  /** One example's shape: [784] (data.view flat) or [28, 28, 1] (image). */
  inputShape: number[];
  classes: number;
  /** Seeds the weight initialization (train.seed). */
  seed: number;
}

export function disposeModel(model: Model): void {
  for (const v of [...model.trainable, ...model.state]) v.dispose();
}
