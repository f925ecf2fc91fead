// Creating variables without leaking their initial tensors (tf.variable keeps its own reference).
import * as tf from '@tensorflow/tfjs';

let created = 0;

/**
 * A variable named `${name}_${n}`: tfjs variable names are process-wide and must be unique, and two models
 * may be alive at once (benchmarks, tests).
 */
export function variableFrom<R extends tf.Rank>(
  name: string,
  init: () => tf.Tensor<R>,
  trainable = true,
): tf.Variable<R> {
  created += 1;
  return tf.tidy(() => tf.variable(init(), trainable, `${name}_${created}`));
}
