// The permutation-invariant MNIST MLP of the paper's section 6.6: dense -> norm -> activation per hidden
// layer, then dense -> softmax, never normalized (weight norm too normalizes the hidden layers' kernels only).
import * as tf from '@tensorflow/tfjs';
import { rngFor } from '../../data/rng';
import { normSpec } from '../../norm/catalog';
import { buildNorm, buildWeight } from '../../norm/registry';
import { layerParameters } from '../../norm/spec';
import type { NormLayer, NormWeight } from '../../norm/types';
import { tidyUnlessRecording } from '../../backend/gradients';
import { moduleOf } from '../../util/module';
import { activation } from '../activations';
import { denseKernel, glorotUniform, zerosVariable } from '../init';
import type { BuildOptions, Classifier, DataShape, ModelEstimate, ModelImplementation } from '../types';
import type { MlpConfig } from './spec';

interface Hidden {
  /** [inputs, units]: a variable, or weight norm's g * v / ||v|| per unit (column). */
  kernel: NormWeight<tf.Rank.R2>;
  /** Present only without a norm: the norm's bias takes the dense bias's place. */
  bias?: tf.Variable<tf.Rank.R1>;
  norm?: NormLayer;
}

const inputsOf = (data: DataShape) => data.shape.reduce((a, b) => a * b, 1);

export function buildMlp({ config, data, seed }: BuildOptions<MlpConfig>): Classifier {
  const inputDims = inputsOf(data);
  const rng = rngFor(seed, 'init');
  const widths = [inputDims, ...config.hidden];
  const hidden: Hidden[] = config.hidden.map((units, i) => {
    const name = `hidden${i + 1}`;
    const values = glorotUniform(widths[i], units, rng);
    const kernel = buildWeight<tf.Rank.R2>(config, { name: `${name}/kernel`, shape: [widths[i], units], values });
    const norm = buildNorm(config, { name, units });
    return norm ? { kernel, norm } : { kernel, bias: zerosVariable(`${name}/bias`, units) };
  });
  const outKernel = denseKernel('output/kernel', widths[widths.length - 1], data.classes!, rng);
  const outBias = zerosVariable('output/bias', data.classes!);
  const activate = activation(config.activation);

  return {
    ...moduleOf([...hidden.flatMap((h) => [h.kernel, h.bias, h.norm]), outKernel, outBias]),
    logits(x, training) {
      let h = tf.reshape(x, [-1, inputDims]) as tf.Tensor2D; // [batch, inputs]
      for (const layer of hidden) {
        const input = h;
        // Without a gradient to record (evaluation, batch norm's population pass) each layer frees its intermediates.
        h = tidyUnlessRecording(() => {
          let a: tf.Tensor2D = tf.matMul(input, layer.kernel.value()); // [batch, units] summed inputs
          if (layer.bias) a = tf.add<tf.Tensor2D>(a, layer.bias);
          if (layer.norm) a = layer.norm.apply(a, training);
          return activate(a);
        });
      }
      return tf.add(tf.matMul(h, outKernel), outBias); // [batch, classes]
    },
  };
}

/** Weights, each hidden layer's bias or norm (and weight norm's gains), the output layer; per example every layer's width. */
function estimateMlp(config: MlpConfig, data: DataShape): ModelEstimate {
  const norm = normSpec(config.norm);
  const widths = [inputsOf(data), ...config.hidden, data.classes!];
  let parameters = 0;
  for (let i = 1; i < widths.length; i++) {
    const last = i === widths.length - 1;
    const own = last ? widths[i] : layerParameters(norm, widths[i]);
    parameters += widths[i - 1] * widths[i] + own;
  }
  // A layer of a forward pass holds its input, then its product, norm output and activation.
  const widest = Math.max(...widths.slice(1).map((w, i) => widths[i] + 3 * w));
  return { parameters, units: config.hidden.reduce((a, b) => a + b, 0) + widths[0], widest };
}

export const implementation: ModelImplementation<MlpConfig, Classifier> = { build: buildMlp, estimate: estimateMlp };
