// What a normalization layer looks like to a model builder.
import type * as tf from '@tensorflow/tfjs';
import type { BnStatistics } from '../config/schema';

export interface NormOptions {
  /** Variable name prefix, e.g. `hidden1/ln`. */
  name: string;
  units: number;
  epsilon: number;
  gainInit: number;
  biasInit: number;
  /** Batch norm: what evaluation uses (population statistics or running averages), and the averages' momentum. */
  statistics: BnStatistics;
  momentum: number;
  /**
   * Positions sharing each unit's gain and bias (a convnet's height * width; 1 for a dense layer). Inputs are
   * [batch, positions * units] with the unit (channel) index fastest, as an NHWC tensor flattened per example.
   */
  positions?: number;
}

export interface NormLayer {
  /** Gain and bias, trained by the optimizer. */
  readonly trainable: tf.Variable[];
  /** Non-trained state (batch norm's evaluation statistics). */
  readonly state: tf.Variable[];
  /** [batch, positions * units] -> the same shape. */
  apply(x: tf.Tensor2D, training: boolean): tf.Tensor2D;
}
