// The small convnet of paper section 6.7 / the conv baseline: per block conv (same padding) -> norm -> activation ->
// 2x2 max pool, then dense -> softmax. Norms see each example's [height, width, channels] activations.
import * as tf from '@tensorflow/tfjs';
import type { ConvConfig } from '../config/schema';
import { rngFor } from '../data/rng';
import { buildNorm } from '../norm/registry';
import type { NormLayer } from '../norm/types';
import { tidyUnlessRecording } from '../backend/gradients';
import { variableFrom } from '../util/variables';
import { activation } from './activations';
import { denseKernel, glorotUniform, zerosVariable } from './init';
import type { BuildOptions, Model } from './types';

interface Block {
  /** [k, k, in, out] */
  filter: tf.Variable<tf.Rank.R4>;
  /** Present only without a norm. */
  bias?: tf.Variable<tf.Rank.R1>;
  norm?: NormLayer;
}

export function buildConv({ config, inputShape, classes, seed }: BuildOptions<ConvConfig>): Model {
  const [height, width, inChannels] = inputShape;
  const rng = rngFor(seed, 'init');
  const k = config.kernelSize;
  let [h, w, c] = [height, width, inChannels];
  const blocks: Block[] = config.channels.map((out, i) => {
    const name = `conv${i + 1}`;
    // Glorot uniform with the receptive field in the fans (Keras' conv default).
    const values = glorotUniform(k * k * c, k * k * out, rng, k * k * c * out);
    const filter = variableFrom(`${name}/filter`, () => tf.tensor4d(values, [k, k, c, out]));
    const norm = buildNorm(config, { name, units: out, positions: h * w });
    [h, w, c] = [Math.floor(h / 2), Math.floor(w / 2), out]; // after the 2x2 pool
    return norm ? { filter, norm } : { filter, bias: zerosVariable(`${name}/bias`, out) };
  });
  const features = h * w * c;
  const outKernel = denseKernel('output/kernel', features, classes, rng);
  const outBias = zerosVariable('output/bias', classes);
  const activate = activation(config.activation);

  return {
    trainable: [
      ...blocks.flatMap((b) => [b.filter, ...(b.bias ? [b.bias] : []), ...(b.norm?.trainable ?? [])]),
      outKernel,
      outBias,
    ],
    state: blocks.flatMap((b) => b.norm?.state ?? []),
    logits(x, training) {
      let a = tf.reshape(x, [-1, height, width, inChannels]) as tf.Tensor4D; // [batch, h, w, c]
      for (const block of blocks) {
        const input = a;
        // Without a gradient to record (evaluation, batch norm's population pass) each block frees its intermediates.
        a = tidyUnlessRecording(() => {
          let z = tf.conv2d(input, block.filter, 1, 'same'); // [batch, h, w, out]
          if (block.bias) z = tf.add(z, block.bias);
          if (block.norm)
            z = tf.reshape(block.norm.apply(tf.reshape(z, [z.shape[0], -1]) as tf.Tensor2D, training), z.shape);
          return tf.maxPool(activate(z), 2, 2, 'valid');
        });
      }
      return tf.add(tf.matMul(tf.reshape(a, [-1, features]) as tf.Tensor2D, outKernel), outBias); // [batch, classes]
    },
  };
}
