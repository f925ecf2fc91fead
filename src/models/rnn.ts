// A recurrent classifier for sequential MNIST (Cooijmans et al. 2016, Table 1): one LSTM or GRU
// layer over the steps of the data view (rows: 28 x 28 pixels; pixels: 784 x 1), dense -> softmax on the last h.
import * as tf from '@tensorflow/tfjs';
import type { RnnConfig } from '../config/schema';
import { rngFor } from '../data/rng';
import { createCell, unroll } from './cells';
import { denseKernel, zerosVariable } from './init';
import type { BuildOptions, Model } from './types';

export function buildRnn({ config, inputShape, classes, seed }: BuildOptions<RnnConfig>): Model {
  const [steps, inputs] = inputShape; // [T, D]
  const rng = rngFor(seed, 'init');
  const cell = createCell({ config, inputs, rng, name: `rnn/${config.cell}`, seed });
  const outKernel = denseKernel('output/kernel', config.hidden, classes, rng);
  const outBias = zerosVariable('output/bias', classes);
  return {
    trainable: [...Object.values(cell.params), outKernel, outBias],
    // A getter: batch norm creates each step's running averages the first time it trains that step.
    get state() {
      return cell.state();
    },
    logits(x, training) {
      const batch = x.shape[0];
      const seq = tf.reshape(x, [batch, steps, inputs]);
      const s = unroll(
        cell,
        (t) => tf.reshape(tf.slice(seq, [0, t, 0], [batch, 1, inputs]), [batch, inputs]) as tf.Tensor2D,
        steps,
        batch,
        training,
      );
      return tf.add(tf.matMul(s.h, outKernel), outBias); // [batch, classes]
    },
  };
}
