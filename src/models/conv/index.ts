// The small convnet of paper section 6.7 / the conv baseline: per block conv (same padding) -> norm -> activation ->
// 2x2 max pool, then dense -> softmax. Norms see each example's [height, width, channels] activations; weight norm
// normalizes each filter per output channel (over k * k * in), not the dense layer.
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
import type { ConvConfig } from './spec';

interface Block {
  /** [k, k, in, out]: a variable, or weight norm's g * v / ||v|| per output channel. */
  filter: NormWeight<tf.Rank.R4>;
  /** Present only without a norm. */
  bias?: tf.Variable<tf.Rank.R1>;
  norm?: NormLayer;
}

export function buildConv({ config, data, seed }: BuildOptions<ConvConfig>): Classifier {
  const [height, width, inChannels] = data.shape;
  const rng = rngFor(seed, 'init');
  const k = config.kernelSize;
  let [h, w, c] = [height, width, inChannels];
  const blocks: Block[] = config.channels.map((out, i) => {
    const name = `conv${i + 1}`;
    // Glorot uniform with the receptive field in the fans (Keras' conv default).
    const values = glorotUniform(k * k * c, k * k * out, rng, k * k * c * out);
    const filter = buildWeight<tf.Rank.R4>(config, { name: `${name}/filter`, shape: [k, k, c, out], values });
    const norm = buildNorm(config, { name, units: out, positions: h * w });
    [h, w, c] = [Math.floor(h / 2), Math.floor(w / 2), out]; // after the 2x2 pool
    return norm ? { filter, norm } : { filter, bias: zerosVariable(`${name}/bias`, out) };
  });
  const features = h * w * c;
  const outKernel = denseKernel('output/kernel', features, data.classes!, rng);
  const outBias = zerosVariable('output/bias', data.classes!);
  const activate = activation(config.activation);

  return {
    ...moduleOf([...blocks.flatMap((b) => [b.filter, b.bias, b.norm]), outKernel, outBias]),
    logits(x, training) {
      let a = tf.reshape(x, [-1, height, width, inChannels]) as tf.Tensor4D; // [batch, h, w, c]
      for (const block of blocks) {
        const input = a;
        // Without a gradient to record (evaluation, batch norm's population pass) each block frees its intermediates.
        a = tidyUnlessRecording(() => {
          let z = tf.conv2d(input, block.filter.value(), 1, 'same'); // [batch, h, w, out]
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

/** Each block halves the image's sides; per example, every block's conv and norm outputs. */
function estimateConv(config: ConvConfig, data: DataShape): ModelEstimate {
  const norm = normSpec(config.norm);
  let [h, w, channels] = data.shape;
  let [parameters, units, widest] = [0, h * w * channels, 0];
  for (const out of config.channels) {
    parameters += config.kernelSize ** 2 * channels * out + layerParameters(norm, out);
    units += 2 * h * w * out;
    // Its input, the conv output, the norm's output (and its reshapes), the activation.
    widest = Math.max(widest, h * w * channels + 4 * h * w * out);
    [h, w, channels] = [Math.floor(h / 2), Math.floor(w / 2), out];
  }
  const classes = data.classes!;
  return { parameters: parameters + h * w * channels * classes + classes, units, widest };
}

export const implementation: ModelImplementation<ConvConfig, Classifier> = { build: buildConv, estimate: estimateConv };
