// The retrieval model of paper section 6.1 (after Vendrov et al.'s order embeddings, scaled to digit strips): an image
// encoder (a linear map of the pixels, or a small relu MLP then a linear map) and a sentence encoder (a GRU
// or LSTM, optionally layer- or batch-normalized, over learned word embeddings), both into one joint space.
// Embeddings are L2-normalized; for the order loss also made non-negative by an absolute value, as in the
// authors' code.
import * as tf from '@tensorflow/tfjs';
import { rngFor, type Rng } from '../../data/rng';
import { normSpec } from '../../norm/catalog';
import { moduleOf, type Module } from '../../util/module';
import { CELLS } from '../cells/catalog';
import { createCell } from '../cells/registry';
import type { CellSpec } from '../cells/spec';
import { runSequence } from '../cells/unroll';
import { denseKernel, zerosVariable } from '../init';
import type { BuildOptions, DataShape, ModelEstimate, ModelImplementation } from '../types';
import type { RetrievalConfig } from './spec';

export interface RetrievalModel extends Module {
  /** Strips [batch, pixels] -> [batch, embedDim]. */
  embedImages(x: tf.Tensor2D, training: boolean): tf.Tensor2D;
  /**
   * Captions -> [batch, embedDim]: tokens [batch * maxTokens] row-major word ids (-1 = padding), lengths
   * [batch]; the embedding is the recurrent state after each caption's last word (padding is masked).
   */
  embedCaptions(tokens: Int32Array, lengths: Int32Array, maxTokens: number, training: boolean): tf.Tensor2D;
}

/** One dense layer of the image encoder. */
interface DenseLayer {
  kernel: tf.Variable<tf.Rank.R2>;
  bias: tf.Variable<tf.Rank.R1>;
}

function finish(e: tf.Tensor2D, order: boolean): tf.Tensor2D {
  const unit = tf.div(e, tf.norm(e, 2, 1, true)) as tf.Tensor2D;
  return order ? tf.abs(unit) : unit;
}

/** One-hot rows [maxTokens * batch, v] of the word ids, step-major (all zeros for padding), for v words. */
function oneHotSteps(tokens: Int32Array, batch: number, maxTokens: number, v: number): tf.Tensor2D {
  const rows = new Float32Array(maxTokens * batch * v);
  for (let t = 0; t < maxTokens; t++)
    for (let b = 0; b < batch; b++) {
      const id = tokens[b * maxTokens + t];
      if (id >= 0) rows[(t * batch + b) * v + id] = 1;
    }
  return tf.tensor2d(rows, [maxTokens * batch, v]);
}

/** The image encoder's dense layers, inputDims -> imageHidden... -> embedDim, kernels drawn from `rng` in order. */
function imageLayersFor(config: RetrievalConfig, inputDims: number, rng: Rng): DenseLayer[] {
  const widths = [inputDims, ...config.imageHidden, config.embedDim];
  return widths.slice(1).map((units, i) => ({
    kernel: denseKernel(`image${i + 1}/kernel`, widths[i], units, rng),
    bias: zerosVariable(`image${i + 1}/bias`, units),
  }));
}

/** The image encoder's embedding of strips x [batch, pixels]: its layers, relu between them, into the joint space. */
function encodeImages(layers: DenseLayer[], x: tf.Tensor2D, order: boolean): tf.Tensor2D {
  let h: tf.Tensor2D = x;
  layers.forEach((l, i) => {
    h = tf.add(tf.matMul(h, l.kernel), l.bias) as tf.Tensor2D;
    if (i < layers.length - 1) h = tf.relu(h);
  });
  return finish(h, order);
}

/** Strips [batch, pixels] into the joint space: data.shape is [pixels], data.vocabulary the caption words. */
export function buildRetrieval({ config, data, seed }: BuildOptions<RetrievalConfig>): RetrievalModel {
  const rng = rngFor(seed, 'init');
  const vocabulary = data.vocabulary!;
  const imageLayers = imageLayersFor(config, data.shape[0], rng);
  const words = denseKernel('words/embedding', vocabulary, config.wordDim, rng);
  const cell = createCell({
    config: { ...config, hidden: config.embedDim },
    inputs: config.wordDim,
    rng,
    name: `sentence/${config.cell}`,
    seed,
  });
  const order = config.loss === 'order';
  return {
    ...moduleOf([...imageLayers.flatMap((l) => [l.kernel, l.bias]), words, cell]),
    embedImages(x) {
      return encodeImages(imageLayers, x, order);
    },
    embedCaptions(tokens, lengths, maxTokens, training) {
      const batch = lengths.length;
      const xs = tf.matMul(oneHotSteps(tokens, batch, maxTokens, vocabulary), words) as tf.Tensor2D;
      const s = runSequence(cell, xs, maxTokens, batch, training, lengths);
      return finish(s.h, order);
    },
  };
}

/** The image tower, the word embeddings and the sentence encoder's cell; per example, each tower's activations. */
function estimateRetrieval(config: RetrievalConfig, data: DataShape): ModelEstimate {
  const words = data.vocabulary!;
  const widths = [data.shape[0], ...config.imageHidden, config.embedDim];
  const cell: CellSpec = CELLS[config.cell];
  let parameters = words * config.wordDim + cell.parameters(config.wordDim, config.embedDim, normSpec(config.norm));
  for (let i = 1; i < widths.length; i++) parameters += widths[i - 1] * widths[i] + widths[i];
  const steps = data.maxTokens!; // the sentence encoder's steps
  const step = cell.stepUnits(config.wordDim, config.embedDim);
  return {
    parameters,
    units: widths.reduce((a, b) => a + b, 0) + steps * step,
    widest: Math.max(...widths) * 2 + step,
  };
}

export const implementation: ModelImplementation<RetrievalConfig, RetrievalModel> = {
  build: buildRetrieval,
  estimate: estimateRetrieval,
};
