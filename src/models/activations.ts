// Hidden-layer nonlinearities by config name (model.activation).
import * as tf from '@tensorflow/tfjs';
import type { Activation } from './spec';

const FUNCTIONS: Record<Activation, (x: tf.Tensor) => tf.Tensor> = {
  relu: (x) => tf.relu(x),
  tanh: (x) => tf.tanh(x),
  sigmoid: (x) => tf.sigmoid(x),
};

/** The activation `name`, keeping the tensor's rank. */
export function activation(name: Activation): <T extends tf.Tensor>(x: T) => T {
  const f = FUNCTIONS[name];
  return <T extends tf.Tensor>(x: T) => f(x) as T;
}
