// Kiros et al.'s (2015) skip-thought vectors (paper section 6.3). The encoder reads sentence s_i's embedded words,
// h_i its state after the last word. Each decoder (previous, next) is a cell of the same kind conditioned on h_i at
// every step: its input at step t is [E w_{t-1}; h_i], w_{-1} = <eos>, so that every gate's input term is
// W x + C h_i, Kiros et al.'s "C_z h_i, C_r h_i, C h_i". With layer norm that is one normalized term, LN(W x + C h_i):
// our choice (the LN paper gives no equations for its skip-thought decoders, and TensorFlow's skip_thoughts, which has
// a layer norm option, conditions through the decoders' initial state instead; see README). Teacher forcing: w_{t-1} is the true word. Both decoders share
// the output layer (Kiros et al.'s vocabulary matrix V), p(w_t | w_<t, h_i) = softmax(V h_t + b), and predict each
// word of their sentence and then <eos>. The loss is the NLL of every predicted word of both, summed (the task
// divides by the count). Batches are padded: the cells mask it, and padded positions predict nothing.
import * as tf from '@tensorflow/tfjs';
import { rngFor } from '../../data/rng';
import { normSpec } from '../../norm/catalog';
import { moduleOf, type Module } from '../../util/module';
import { variableFrom } from '../../util/variables';
import { CELLS } from '../cells/catalog';
import { createCell } from '../cells/registry';
import type { Cell } from '../cells/types';
import { runSequence, runSequenceSteps } from '../cells/unroll';
import { denseKernel, zerosVariable } from '../init';
import { gatherRows } from '../rows';
import type { BuildOptions, DataShape, ModelEstimate, ModelImplementation } from '../types';
import { EMBEDDING_INIT, type SkipThoughtConfig } from './spec';

/** Sentences for the encoder, padded (id 0) to `steps`: ids step-major (row t * batch + b is word t of sentence b). */
export interface SentenceBatch {
  readonly steps: number;
  /** [batch] words of each sentence. */
  readonly lengths: Int32Array;
  readonly ids: Int32Array;
}

/** One decoder's teacher-forced batch: its inputs step-major, and the positions that predict a word. */
export interface DecoderBatch {
  readonly steps: number;
  /** [batch] predicted words of each sentence: its words and <eos>. */
  readonly lengths: Int32Array;
  /** [steps * batch] w_{t-1}: <eos> at t = 0, then the sentence's words; padding 0. */
  readonly inputs: Int32Array;
  /** The rows t * batch + b with t < lengths[b], and the word each predicts. */
  readonly rows: Int32Array;
  readonly targets: Int32Array;
}

/** A batch of triples as the model reads it. */
export interface SkipThoughtInputs {
  readonly batch: number;
  readonly current: SentenceBatch;
  readonly previous: DecoderBatch;
  readonly next: DecoderBatch;
}

export const DECODERS = ['previous', 'next'] as const;
export type Decoder = (typeof DECODERS)[number];
export type Role = 'encoder' | Decoder;

export interface SkipThoughtModel extends Module {
  /** Parameters by role (`embedding`, `encoder/W_x`, `previous/U`, `V`, `b`): tests map them onto a reference. */
  readonly params: Record<string, tf.Variable>;
  readonly cells: Readonly<Record<Role, Cell>>;
  /** [batch, hidden]: each sentence's vector h_i (the encoder's state after its last word; h_0 for an empty one). */
  encode(sentences: SentenceBatch, batch: number, training: boolean): tf.Tensor2D;
  /** The NLL of every word both decoders predict, summed [] (nats), with how many words that is. */
  loss(inputs: SkipThoughtInputs, training: boolean): { nll: tf.Scalar; words: number };
}

/**
 * [n]: -log softmax(logits [n, V])[target] per row. Its gradient is written out (dlogits = dy (softmax - onehot)):
 * one log-softmax [n, V] is kept for the backward pass and no gather of [n, V] needs a gradient. (One-pass
 * JavaScript kernels for it, forward and backward, were no faster on wasm: 465 ms a step at 5,000 words either way.)
 */
export function tokenNll(logits: tf.Tensor2D, targets: Int32Array): tf.Tensor1D {
  const [n, V] = logits.shape;
  if (targets.length !== n) throw new Error(`tokenNll: ${n} rows, ${targets.length} targets`);
  const picked = tf.tensor1d(
    Int32Array.from(targets, (w, i) => i * V + w),
    'int32',
  );
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [x, save] = [args[0] as tf.Tensor2D, args[1] as tf.GradSaveFunc];
    const logp = tf.logSoftmax(x);
    save([logp]);
    return {
      value: tf.neg(tf.gather(tf.reshape(logp, [-1]), picked)),
      gradFunc: (dy: tf.Tensor, [lp]: tf.Tensor[]) =>
        tf.mul(tf.reshape(dy, [n, 1]), tf.sub(tf.exp(lp), tf.oneHot(tf.tensor1d(targets, 'int32'), V))),
    };
  }) as (x: tf.Tensor2D) => tf.Tensor1D;
  return op(logits);
}

interface Weights {
  embedding: tf.Variable<tf.Rank.R2>;
  cells: Record<Role, Cell>;
  /** [H, vocabulary]: the output layer both decoders share, and its bias. */
  V: tf.Variable<tf.Rank.R2>;
  b: tf.Variable<tf.Rank.R1>;
}

function weights(config: SkipThoughtConfig, vocabulary: number, seed: number): Weights {
  const { wordDim: D, hidden: H } = config;
  const embedRng = rngFor(seed, 'init', 'embedding');
  const embedding = variableFrom('skipthought/embedding', () =>
    tf.tensor2d(
      Float32Array.from({ length: vocabulary * D }, () => (2 * embedRng() - 1) * EMBEDDING_INIT),
      [vocabulary, D],
    ),
  );
  const cell = (role: Role) =>
    createCell({
      config,
      inputs: role === 'encoder' ? D : D + H,
      rng: rngFor(seed, 'init', role),
      name: `skipthought/${role}`,
      seed,
    });
  const cells = { encoder: cell('encoder'), previous: cell('previous'), next: cell('next') };
  const V = denseKernel('skipthought/V', H, vocabulary, rngFor(seed, 'init', 'output'));
  return { embedding, cells, V, b: zerosVariable('skipthought/b', vocabulary) };
}

const embed = (w: Weights, ids: Int32Array) => gatherRows(w.embedding, tf.tensor1d(ids, 'int32'));

function encode(w: Weights, s: SentenceBatch, batch: number, training: boolean): tf.Tensor2D {
  return runSequence(w.cells.encoder, embed(w, s.ids), s.steps, batch, training, s.lengths).h;
}

/** One decoder's summed NLL: its states at every step, conditioned on h [batch, H], at the rows that predict. */
function decoderNll(w: Weights, role: Decoder, d: DecoderBatch, h: tf.Tensor2D, training: boolean): tf.Scalar {
  const batch = h.shape[0];
  // h_i at every step, rows step-major as the inputs' (broadcastTo's gradient is one sum over the steps).
  const H = h.shape[1];
  const conditioned = tf.reshape(tf.broadcastTo(tf.expandDims(h, 0), [d.steps, batch, H]), [d.steps * batch, H]);
  const xs = tf.concat([embed(w, d.inputs), conditioned], 1) as tf.Tensor2D;
  const hs = runSequenceSteps(w.cells[role], xs, d.steps, batch, training, d.lengths);
  const states = gatherRows(hs, tf.tensor1d(d.rows, 'int32'));
  const logits = tf.add(tf.matMul(states, w.V), w.b) as tf.Tensor2D;
  return tf.sum(tokenNll(logits, d.targets));
}

export function buildSkipThought({ config, data, seed }: BuildOptions<SkipThoughtConfig>): SkipThoughtModel {
  const vocabulary = data.vocabulary ?? 0;
  if (vocabulary < 1) throw new Error('skipthought: data.vocabulary is needed');
  const w = weights(config, vocabulary, seed);
  const roles: Role[] = ['encoder', ...DECODERS];
  const cellParams = roles.flatMap((role) =>
    Object.entries(w.cells[role].params).map(([k, v]): [string, tf.Variable] => [`${role}/${k}`, v]),
  );
  return {
    ...moduleOf([w.embedding, ...roles.map((r) => w.cells[r]), w.V, w.b]),
    params: { embedding: w.embedding, ...Object.fromEntries(cellParams), V: w.V, b: w.b },
    cells: w.cells,
    encode: (s, batch, training) => encode(w, s, batch, training),
    loss(inputs, training) {
      const h = encode(w, inputs.current, inputs.batch, training);
      const nll = tf.add(
        decoderNll(w, 'previous', inputs.previous, h, training),
        decoderNll(w, 'next', inputs.next, h, training),
      ) as tf.Scalar;
      return { nll, words: inputs.previous.rows.length + inputs.next.rows.length };
    },
  };
}

/**
 * Embeddings, the encoder, two decoders over [word; h_i] and the shared output layer. Per example of a training
 * step: the encoder's cell values and inputs at each of its steps; each decoder's at each of its steps, with the
 * conditioned input; and at each predicted word, its state, logits, log-softmax and their gradient (4 x vocabulary).
 * data.shape: [longest sentence, longest decoder sequence (a sentence and <eos>), mean decoder sequence]: states
 * pad to the longest, the softmax is over a batch's real words, about batch x mean; data.vocabulary words.
 */
function estimateSkipThought(config: SkipThoughtConfig, data: DataShape): ModelEstimate {
  const [encoderSteps, decoderSteps, meanDecoded] = data.shape;
  const { hidden: H, wordDim: D } = config;
  const V = data.vocabulary ?? 0;
  const cell = CELLS[config.cell];
  const norm = normSpec(config.norm);
  const parameters = V * D + cell.parameters(D, H, norm) + 2 * cell.parameters(D + H, H, norm) + H * V + V;
  const decoderStep = cell.stepUnits(D + H, H) + 2 * (D + H);
  const word = H + 4 * V;
  return {
    parameters,
    units: encoderSteps * (cell.stepUnits(D, H) + D) + 2 * (decoderSteps * decoderStep + meanDecoded * word),
    // Evaluation batches are sorted by length: the last holds the longest sentences, each predicting up to
    // decoderSteps words through both decoders' logits and one log-softmax at a time.
    widest: decoderSteps * (6 * H + 2 * D + 3 * V),
    // As the reader's (src/models/reader): the backward pass through time runs step by step.
    trainCopies: 3,
  };
}

export const implementation: ModelImplementation<SkipThoughtConfig, SkipThoughtModel> = {
  build: buildSkipThought,
  estimate: estimateSkipThought,
};
