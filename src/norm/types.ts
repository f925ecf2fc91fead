// What a normalization layer looks like to a model builder.
import type * as tf from '@tensorflow/tfjs';

export interface NormOptions {
  /** Variable name prefix, e.g. `hidden1/ln`. */
  name: string;
  units: number;
  epsilon: number;
  gainInit: number;
  biasInit: number;
  /** Batch norm's running-average momentum. */
  momentum: number;
}

export interface NormLayer {
  /** Gain and bias, trained by the optimizer. */
  readonly trainable: tf.Variable[];
  /** Non-trained state (batch norm's running averages). */
  readonly state: tf.Variable[];
  /** [batch, units] -> [batch, units]. */
  apply(x: tf.Tensor2D, training: boolean): tf.Tensor2D;
}
