// Hermann et al.'s (2015) attentive reader (paper section 6.2): embedded document and query tokens; a bidirectional
// recurrent encoder of the document, y_d(t) = [forward h_t; backward h_t], and one of the query, u = [forward h at
// its last token; backward h at its first]; attention m(t) = tanh(W_ym y_d(t) + W_um u), s = softmax_t(w_ms m(t))
// over the document's real positions, r = sum_t s(t) y_d(t); g = tanh(W_rg r + W_ug u); and the answer
// p(a | d, q) = softmax over the candidate entities of W(a) g (the other entities masked out). The equations have
// no biases, as in Hermann et al. and the paper's SPEC. With `answer: sum` (Kadlec et al. 2016) p(a | d, q) is
// instead the attention's mass on a's mentions, over that of all candidates' mentions (no g, no W(a)). Batches are
// padded: the encoders mask it (a sequence's state stays put over its padding, which enters no batch statistic),
// attention gives it weight 0.
import * as tf from '@tensorflow/tfjs';
import { rngFor } from '../../data/rng';
import { normSpec } from '../../norm/catalog';
import { moduleOf, type Module } from '../../util/module';
import { variableFrom } from '../../util/variables';
import { CELLS } from '../cells/catalog';
import { createCell } from '../cells/registry';
import type { Cell } from '../cells/types';
import { runSequence, runSequenceSteps } from '../cells/unroll';
import { denseKernel } from '../init';
import { gatherRows } from '../rows';
import type { BuildOptions, DataShape, ModelEstimate, ModelImplementation } from '../types';
import { EMBEDDING_INIT, type ReaderConfig } from './spec';

/** What masked-out entries get before a softmax: exp underflows to exactly 0 in float32. */
export const MASKED = -1e9;

/**
 * A batch of token sequences, padded to `steps`, as the encoders read them: step-major ids (row t * batch + b is
 * token t of sequence b; padding is id 0), the same with each sequence reversed within its length (the backward
 * direction's input), and the rows that put the backward pass's states back in reading order.
 */
export interface TokenBatch {
  readonly steps: number;
  /** [batch] real tokens of each sequence. */
  readonly lengths: Int32Array;
  readonly forward: Int32Array;
  readonly backward: Int32Array;
  /** [steps * batch]: row t * batch + b of reading order is row unreverse[t * batch + b] of the backward pass. */
  readonly unreverse: Int32Array;
}

/** One batch of questions as the model reads it. */
export interface ReaderInputs {
  readonly batch: number;
  readonly document: TokenBatch;
  readonly query: TokenBatch;
  /** [batch, entities]: 1 where entity k is one of the question's candidates, else 0. */
  readonly candidates: Float32Array;
  /** Candidate slots: `slots` per question (the most candidates a question of the batch has). */
  readonly slots: number;
  /** [batch, slots, steps]: 1 where the document's token t is a mention of the question's candidate in slot c. */
  readonly mentions: Float32Array;
  /** [batch, slots, entities]: 1 where slot c holds entity k (a row of zeros for an unused slot). */
  readonly slotEntities: Float32Array;
}

export interface ReaderOutputs {
  /** [batch, entities]: W(a) g (or the log of a's attention mass) for the candidates, MASKED for the others. */
  logits: tf.Tensor2D;
  /** [batch, steps]: s(t) over the document's positions (0 over padding). */
  attention: tf.Tensor2D;
}

export interface ReaderModel extends Module {
  /** Parameters by role (`embedding`, `document/forward/W_x`, `W_ym`, ...): tests map them onto a float64 reference. */
  readonly params: Record<string, tf.Variable>;
  /** The encoders' cells by role (`document/forward`, ...). */
  readonly cells: Readonly<Record<Encoder, Cell>>;
  read(inputs: ReaderInputs, training: boolean): ReaderOutputs;
}

const ENCODERS = ['document/forward', 'document/backward', 'query/forward', 'query/backward'] as const;
export type Encoder = (typeof ENCODERS)[number];

/** [steps, batch] of 1 at each sequence's real positions, 0 at its padding. */
export function positionMask(t: TokenBatch, batch: number): Float32Array {
  return Float32Array.from({ length: t.steps * batch }, (_, i) =>
    t.lengths[i % batch] > Math.floor(i / batch) ? 1 : 0,
  );
}

/** Values where mask is 1, MASKED where it is 0 (exactly: values * 1 + 0, values * 0 + MASKED). */
const masked = (values: tf.Tensor, mask: tf.Tensor) => tf.add(tf.mul(values, mask), tf.mul(tf.sub(1, mask), MASKED));

/** The reader's variables: embeddings, the four encoders' cells, the attention's and the answer's weights. */
interface ReaderWeights {
  embedding: tf.Variable<tf.Rank.R2>;
  cells: Record<Encoder, Cell>;
  W_ym: tf.Variable<tf.Rank.R2>;
  W_um: tf.Variable<tf.Rank.R2>;
  w_ms: tf.Variable<tf.Rank.R2>;
  /** The answer's weights (answer: weights only). */
  W_rg?: tf.Variable<tf.Rank.R2>;
  W_ug?: tf.Variable<tf.Rank.R2>;
  W_a?: tf.Variable<tf.Rank.R2>;
}

function readerWeights(config: ReaderConfig, vocabulary: number, entities: number, seed: number): ReaderWeights {
  const H = config.hidden;
  const embedRng = rngFor(seed, 'init', 'embedding');
  const embedding = variableFrom('reader/embedding', () =>
    tf.tensor2d(
      Float32Array.from({ length: vocabulary * config.wordDim }, () => (2 * embedRng() - 1) * EMBEDDING_INIT),
      [vocabulary, config.wordDim],
    ),
  );
  const cell = (name: Encoder) =>
    createCell({
      config: { ...config, hidden: H },
      inputs: config.wordDim,
      rng: rngFor(seed, 'init', name),
      name: `reader/${name}`,
      seed,
    });
  const cells = Object.fromEntries(ENCODERS.map((name) => [name, cell(name)])) as Record<Encoder, Cell>;
  const rng = rngFor(seed, 'init', 'attention');
  const kernel = (name: string, rows: number, cols: number) => denseKernel(`reader/${name}`, rows, cols, rng);
  const attention = {
    W_ym: kernel('W_ym', 2 * H, config.attention),
    W_um: kernel('W_um', 2 * H, config.attention),
    w_ms: kernel('w_ms', config.attention, 1),
  };
  if (config.answer === 'sum') return { embedding, cells, ...attention };
  return {
    embedding,
    cells,
    ...attention,
    W_rg: kernel('W_rg', 2 * H, 2 * H),
    W_ug: kernel('W_ug', 2 * H, 2 * H),
    W_a: kernel('W_a', 2 * H, entities),
  };
}

/** Each of a batch's sequences encoded forward and backward: every position's [forward h; backward h]. */
function encodeAll(w: ReaderWeights, t: TokenBatch, batch: number, training: boolean, role: 'document'): tf.Tensor2D {
  const embed = (ids: Int32Array) => gatherRows(w.embedding, tf.tensor1d(ids, 'int32'));
  const forward = runSequenceSteps(w.cells[`${role}/forward`], embed(t.forward), t.steps, batch, training, t.lengths);
  const backward = runSequenceSteps(
    w.cells[`${role}/backward`],
    embed(t.backward),
    t.steps,
    batch,
    training,
    t.lengths,
  );
  return tf.concat([forward, gatherRows(backward, tf.tensor1d(t.unreverse, 'int32'))], 1);
}

/** Each sequence's final states: [forward h after its last token; backward h after its first]. */
function encodeFinal(w: ReaderWeights, t: TokenBatch, batch: number, training: boolean, role: 'query'): tf.Tensor2D {
  const embed = (ids: Int32Array) => gatherRows(w.embedding, tf.tensor1d(ids, 'int32'));
  const forward = runSequence(w.cells[`${role}/forward`], embed(t.forward), t.steps, batch, training, t.lengths);
  const backward = runSequence(w.cells[`${role}/backward`], embed(t.backward), t.steps, batch, training, t.lengths);
  return tf.concat([forward.h, backward.h], 1);
}

/** Attention of u over y_d's positions and the answer's scores (the equations at the top). */
function attend(w: ReaderWeights, yd: tf.Tensor2D, u: tf.Tensor2D, inputs: ReaderInputs): ReaderOutputs {
  const { batch, document: d } = inputs;
  const [A, width] = [w.W_ym.shape[1], yd.shape[1]];
  const m = tf.tanh(
    tf.add(tf.reshape(tf.matMul(yd, w.W_ym), [d.steps, batch, A]), tf.expandDims(tf.matMul(u, w.W_um), 0)),
  );
  const score = tf.reshape(tf.matMul(tf.reshape(m, [d.steps * batch, A]), w.w_ms), [d.steps, batch]);
  const mask = tf.tensor2d(positionMask(d, batch), [d.steps, batch]);
  const attention = tf.softmax(tf.transpose(masked(score, mask))) as tf.Tensor2D; // [B, T]
  const candidates = tf.tensor2d(inputs.candidates, [batch, inputs.candidates.length / batch]);
  if (!w.W_a || !w.W_rg || !w.W_ug) return { logits: attentionSum(attention, inputs, candidates), attention };
  const weighted = tf.mul(tf.reshape(yd, [d.steps, batch, width]), tf.expandDims(tf.transpose(attention), 2));
  const r = tf.sum(weighted, 0) as tf.Tensor2D;
  const g = tf.tanh(tf.add(tf.matMul(r, w.W_rg), tf.matMul(u, w.W_ug))) as tf.Tensor2D;
  return { logits: masked(tf.matMul(g, w.W_a), candidates) as tf.Tensor2D, attention };
}

/** Floor of a candidate's attention mass before its log (a mass that underflows to 0 would give -Infinity). */
export const MASS_FLOOR = 1e-30;

/**
 * [batch, entities]: the log of each candidate's attention mass (the sum of s(t) over its mentions), MASKED for
 * the other entities; their softmax is the mass over that of all candidates (Kadlec et al.'s attention sum).
 */
function attentionSum(attention: tf.Tensor2D, inputs: ReaderInputs, candidates: tf.Tensor2D): tf.Tensor2D {
  const { batch, slots, document: d } = inputs;
  const entities = candidates.shape[1];
  const mentions = tf.tensor3d(inputs.mentions, [batch, slots, d.steps]);
  const mass = tf.sum(tf.mul(mentions, tf.expandDims(attention, 1)), 2); // [B, slots]
  const logMass = tf.log(tf.add(mass, MASS_FLOOR));
  const byEntity = tf.matMul(tf.expandDims(logMass, 1), tf.tensor3d(inputs.slotEntities, [batch, slots, entities]));
  return masked(tf.reshape(byEntity, [batch, entities]), candidates) as tf.Tensor2D;
}

export function buildReader({ config, data, seed }: BuildOptions<ReaderConfig>): ReaderModel {
  const vocabulary = data.vocabulary ?? 0;
  const entities = data.classes ?? 0;
  if (vocabulary < 1 || entities < 1) throw new Error('reader: data.vocabulary and data.classes (entities) are needed');
  const w = readerWeights(config, vocabulary, entities, seed);
  const { embedding, cells, W_ym, W_um, w_ms, W_rg, W_ug, W_a } = w;
  const cellParams = ENCODERS.flatMap((name) =>
    Object.entries(cells[name].params).map(([k, v]): [string, tf.Variable] => [`${name}/${k}`, v]),
  );
  const answer = Object.entries({ W_rg, W_ug, W_a }).filter((e): e is [string, tf.Variable<tf.Rank.R2>] => !!e[1]);
  return {
    ...moduleOf([embedding, ...Object.values(cells), W_ym, W_um, w_ms, W_rg, W_ug, W_a]),
    params: { embedding, ...Object.fromEntries(cellParams), W_ym, W_um, w_ms, ...Object.fromEntries(answer) },
    cells,
    read: (inputs, training) =>
      attend(
        w,
        encodeAll(w, inputs.document, inputs.batch, training, 'document'),
        encodeFinal(w, inputs.query, inputs.batch, training, 'query'),
        inputs,
      ),
  };
}

/**
 * Embeddings, four encoders, attention and answer weights. Per example of a training step: at each document
 * position both directions' cell values and inputs, y_d(t), its reordered half, the attention's m(t) and its
 * temporaries; at each query position both directions' cell values and inputs; and the answer's small vectors.
 * data.shape: [longest document, longest query, most candidates]; data.vocabulary words, data.classes entities.
 */
function estimateReader(config: ReaderConfig, data: DataShape): ModelEstimate {
  const [docSteps, querySteps, slots] = data.shape;
  const { hidden: H, wordDim: D, attention: A } = config;
  const cell = CELLS[config.cell];
  const K = data.classes ?? 0;
  const parameters =
    (data.vocabulary ?? 0) * D +
    4 * cell.parameters(D, H, normSpec(config.norm)) +
    2 * (2 * H * A) +
    A +
    (config.answer === 'sum' ? 0 : 2 * (2 * H * 2 * H) + 2 * H * K);
  const direction = cell.stepUnits(D, H) + 2 * D;
  const perPosition = 2 * direction + 4 * 2 * H + 4 * A + 4;
  // Attention sum: the mentions mask and its product with s(t), slots x steps each; else g's vectors.
  const answer = config.answer === 'sum' ? 2 * slots * docSteps + 4 * K : 8 * 2 * H + 4 * K;
  return {
    parameters,
    units: docSteps * perPosition + querySteps * 2 * direction + answer,
    widest: docSteps * (6 * H + 3 * A + 4) + answer,
    // The backward pass through time runs step by step, as for the handwriting network (src/models/handwriting):
    // measured on cpu at the tiny config's size (test/limits.test.ts), 3 copies are 2.3-2.6 times the peak.
    trainCopies: 3,
  };
}

export const implementation: ModelImplementation<ReaderConfig, ReaderModel> = {
  build: buildReader,
  estimate: estimateReader,
};
