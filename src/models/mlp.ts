// The permutation-invariant MNIST MLP of the paper's section 6.6: dense -> norm -> activation per hidden
// layer, then dense -> softmax, never normalized.
import * as tf from '@tensorflow/tfjs';
import type { MlpConfig } from '../config/schema';
import { rngFor } from '../data/rng';
import { buildNorm } from '../norm/registry';
import type { NormLayer } from '../norm/types';
import { tidyUnlessRecording } from '../backend/gradients';
import { activation } from './activations';
import { denseKernel, zerosVariable } from './init';
import type { BuildOptions, Model } from './types';

interface Hidden {
  kernel: tf.Variable<tf.Rank.R2>;
  /** Present only without a norm: the norm's bias takes the dense bias's place. */
  bias?: tf.Variable<tf.Rank.R1>;
  norm?: NormLayer;
}

export function buildMlp({ config, inputShape, classes, seed }: BuildOptions<MlpConfig>): Model {
  const inputDims = inputShape.reduce((a, b) => a * b, 1);
  const rng = rngFor(seed, 'init');
  const widths = [inputDims, ...config.hidden];
  const hidden: Hidden[] = config.hidden.map((units, i) => {
    const name = `hidden${i + 1}`;
    const kernel = denseKernel(`${name}/kernel`, widths[i], units, rng);
    const norm = buildNorm(config, { name, units });
    return norm ? { kernel, norm } : { kernel, bias: zerosVariable(`${name}/bias`, units) };
  });
  const outKernel = denseKernel('output/kernel', widths[widths.length - 1], classes, rng);
  const outBias = zerosVariable('output/bias', classes);
  const activate = activation(config.activation);

  return {
    trainable: [
      ...hidden.flatMap((h) => [h.kernel, ...(h.bias ? [h.bias] : []), ...(h.norm?.trainable ?? [])]),
      outKernel,
      outBias,
    ],
    state: hidden.flatMap((h) => h.norm?.state ?? []),
    logits(x, training) {
      let h = tf.reshape(x, [-1, inputDims]) as tf.Tensor2D; // [batch, inputs]
      for (const layer of hidden) {
        const input = h;
        // Without a gradient to record (evaluation, batch norm's population pass) each layer frees its intermediates.
        h = tidyUnlessRecording(() => {
          let a: tf.Tensor2D = tf.matMul(input, layer.kernel); // [batch, units] summed inputs
          if (layer.bias) a = tf.add<tf.Tensor2D>(a, layer.bias);
          if (layer.norm) a = layer.norm.apply(a, training);
          return activate(a);
        });
      }
      return tf.add(tf.matMul(h, outKernel), outBias); // [batch, classes]
    },
  };
}
