// The retrieval model of paper section 6.1 (after Vendrov et al.'s order embeddings, scaled to digit strips): an image
// encoder (a linear map of the pixels, or a small relu MLP then a linear map) and a sentence encoder (a GRU
// or LSTM, optionally layer- or batch-normalized, over learned word embeddings), both into one joint space.
// Embeddings are L2-normalized; for the order loss also made non-negative by an absolute value, as in the
// authors' code.
import * as tf from '@tensorflow/tfjs';
import type { RetrievalConfig } from '../config/schema';
import { rngFor, type Rng } from '../data/rng';
import { WORDS } from '../data/strips';
import { createCell, unroll } from './cells';
import { denseKernel, zerosVariable } from './init';

export interface RetrievalModel {
  readonly trainable: tf.Variable[];
  /** Not trained: batch norm's per-step running averages (a getter: created as steps are first trained). */
  readonly state: tf.Variable[];
  /** Strips [batch, pixels] -> [batch, embedDim]. */
  embedImages(x: tf.Tensor2D, training: boolean): tf.Tensor2D;
  /**
   * Captions -> [batch, embedDim]: tokens [batch * maxTokens] row-major word ids (-1 = padding), lengths
   * [batch]; the embedding is the recurrent state after each caption's last word (padding is masked).
   */
  embedCaptions(tokens: Int32Array, lengths: Int32Array, maxTokens: number, training: boolean): tf.Tensor2D;
}

export interface RetrievalBuildOptions {
  config: RetrievalConfig;
  /** Pixels per strip. */
  inputDims: number;
  seed: number;
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

/** One-hot rows [batch, vocabulary] of the word ids at step t (all zeros for padding). */
function oneHotAt(tokens: Int32Array, batch: number, maxTokens: number, t: number): tf.Tensor2D {
  const v = WORDS.length;
  const rows = new Float32Array(batch * v);
  for (let b = 0; b < batch; b++) {
    const id = tokens[b * maxTokens + t];
    if (id >= 0) rows[b * v + id] = 1;
  }
  return tf.tensor2d(rows, [batch, v]);
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

export function buildRetrieval({ config, inputDims, seed }: RetrievalBuildOptions): RetrievalModel {
  const rng = rngFor(seed, 'init');
  const imageLayers = imageLayersFor(config, inputDims, rng);
  const words = denseKernel('words/embedding', WORDS.length, config.wordDim, rng);
  const cell = createCell({
    config: { ...config, hidden: config.embedDim },
    inputs: config.wordDim,
    rng,
    name: `sentence/${config.cell}`,
    seed,
  });
  const order = config.loss === 'order';
  return {
    trainable: [...imageLayers.flatMap((l) => [l.kernel, l.bias]), words, ...Object.values(cell.params)],
    get state() {
      return cell.state();
    },
    embedImages(x) {
      return encodeImages(imageLayers, x, order);
    },
    embedCaptions(tokens, lengths, maxTokens, training) {
      const batch = lengths.length;
      const s = unroll(
        cell,
        (t) => tf.matMul(oneHotAt(tokens, batch, maxTokens, t), words),
        maxTokens,
        batch,
        training,
        lengths,
      );
      return finish(s.h, order);
    },
  };
}
