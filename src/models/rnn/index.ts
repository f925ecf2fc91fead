// A recurrent classifier for sequential MNIST (Cooijmans et al. 2016, Table 1): one LSTM or GRU layer over the steps
// of the data view (rows: 28 x 28 pixels; pixels: 784 x 1), dense -> softmax on the last h.
import * as tf from '@tensorflow/tfjs';
import { rngFor } from '../../data/rng';
import { normSpec } from '../../norm/catalog';
import { moduleOf } from '../../util/module';
import { CELLS } from '../cells/catalog';
import { createCell } from '../cells/registry';
import type { CellSpec } from '../cells/spec';
import { runSequence } from '../cells/unroll';
import { denseKernel, zerosVariable } from '../init';
import type { BuildOptions, Classifier, DataShape, ModelEstimate, ModelImplementation } from '../types';
import type { RnnConfig } from './spec';

export function buildRnn({ config, data, seed }: BuildOptions<RnnConfig>): Classifier {
  const [steps, inputs] = data.shape; // [T, D]
  const rng = rngFor(seed, 'init');
  const cell = createCell({ config, inputs, rng, name: `rnn/${config.cell}`, seed });
  const outKernel = denseKernel('output/kernel', config.hidden, data.classes!, rng);
  const outBias = zerosVariable('output/bias', data.classes!);
  return {
    ...moduleOf([cell, outKernel, outBias]),
    logits(x, training) {
      const batch = x.shape[0];
      // Step-major rows (x_0 of every example, then x_1, ...), as runSequence takes them.
      const xs = tf.reshape(tf.transpose(tf.reshape(x, [batch, steps, inputs]), [1, 0, 2]), [steps * batch, inputs]);
      const s = runSequence(cell, xs as tf.Tensor2D, steps, batch, training);
      return tf.add(tf.matMul(s.h, outKernel), outBias); // [batch, classes]
    },
  };
}

/** The cell and the output layer; per step what the cell keeps; a forward pass holds the input twice (reshaped). */
function estimateRnn(config: RnnConfig, data: DataShape): ModelEstimate {
  const [steps, inputs] = data.shape;
  const cell: CellSpec = CELLS[config.cell];
  const step = cell.stepUnits(inputs, config.hidden);
  return {
    parameters: cell.parameters(inputs, config.hidden, normSpec(config.norm)) + (config.hidden + 1) * data.classes!,
    units: steps * step,
    widest: 2 * steps * inputs + step,
  };
}

export const implementation: ModelImplementation<RnnConfig, Classifier> = { build: buildRnn, estimate: estimateRnn };
