// The paper's skip-thought experiment (section 6.3): an encoder and two decoders trained on the NLL of the previous
// and next sentences' words given the current sentence; after every epoch (and train.evalEvery row) the validation
// and test NLL per word, and the downstream accuracy of the frozen encoder: each sentiment set's sentences encoded,
// a logistic regression on the vectors judged by 10-fold cross-validation (src/metrics/logistic.ts). The triples stay
// in memory; each batch is padded and sent to the device.
import * as tf from '@tensorflow/tfjs';
import { UserError } from '../../errors';
import { orderedSample, rngFor } from '../../data/rng';
import type { BookSet } from '../../data/text/books';
import { loadSentimentSets, type SentimentSetName } from '../../data/text/sentiment';
import { EOS, loadTriples, type TripleSplit } from '../../data/text/triples';
import { encode, vocabularyOf, type TextSplit } from '../../data/text/vocab';
import type { Dataset, Examples } from '../../data/types';
import { batchSums, type YieldPoint } from '../../metrics/batch-sums';
import { crossValidate, matrixOf } from '../../metrics/logistic';
import type { SkipThoughtModel } from '../../models/skipthought';
import type { SkipThoughtConfig } from '../../models/skipthought/spec';
import { buildModel } from '../../models/registry';
import type { DataShape } from '../../models/types';
import { disposeModule } from '../../util/module';
import { orderBy } from '../../util/order';
import type { Task } from '../../train/task';
import type { DataConfig, RunConfig } from '../schema';
import type { TaskImplementation } from '../types';
import { sentenceBatch, tripleBatch } from './batch';
import type { NeighboursArtifact } from './neighbours-chart';
import { skipthought } from './spec';

/** Triples evaluated at once (sorted by length, so that a batch pads little), and sentences encoded at once. */
const EVAL_BATCH = 64;
const ENCODE_BATCH = 256;

/**
 * The downstream evaluation (Kiros et al.: 10-fold cross-validation, the penalty tuned): 10 outer folds, fixed by
 * data.seed so that every model and epoch is judged on the same folds, and the L2 penalty of each outer fold chosen
 * among `l2` on 3 inner folds of its training part (the features standardized on the training part).
 */
export const DOWNSTREAM = { folds: 10, innerFolds: 3, l2: [1e-3, 1e-2, 1e-1, 1] } as const;

/** One split's triples: the current sentences' indices into the split's sentences. */
export interface TripleSet extends Examples {
  readonly split: TripleSplit;
  readonly centres: Int32Array;
}

/** A downstream set: its sentences as vocabulary ids (unseen words <unk>) and labels. */
export interface DownstreamSet {
  readonly name: SentimentSetName;
  readonly sentences: readonly (readonly number[])[];
  readonly labels: readonly number[];
}

export interface SkipThoughtData extends Dataset<TripleSet> {
  readonly valid: TripleSet;
  readonly vocabulary: readonly string[];
  readonly eos: number;
  readonly downstream: readonly DownstreamSet[];
}

const sentencesOf = (set: TripleSet, k: number) => {
  const c = set.centres[k];
  return [set.split.sentences[c - 1], set.split.sentences[c], set.split.sentences[c + 1]];
};

/** The summed NLL [] and word count of the triples of `set` at `indices`. */
function batchNll(model: SkipThoughtModel, data: SkipThoughtData, set: TripleSet, indices: ArrayLike<number>) {
  const centres = Array.from(indices, (k) => set.centres[k]);
  return model.loss(tripleBatch(set.split.sentences, centres, data.eos), false);
}

/** NLL per predicted word of `set`; undefined when `yieldPoint` asked to stop. */
async function evaluateNll(model: SkipThoughtModel, data: SkipThoughtData, set: TripleSet, yieldPoint?: YieldPoint) {
  const order = orderBy(set.count, (k) => sentencesOf(set, k).reduce((n, s) => n + s.length, 0));
  const sums = await batchSums({
    count: set.count,
    batchSize: EVAL_BATCH,
    batch: (start, size) => {
      const { nll, words } = batchNll(model, data, set, order.subarray(start, start + size));
      return tf.stack([nll, tf.scalar(words)]) as tf.Tensor1D;
    },
    yieldPoint,
  });
  return sums && sums[0] / sums[1];
}

/** Each sentence's vector (the encoder in evaluation mode), rows in the sentences' order. */
export async function encodeSentences(
  model: SkipThoughtModel,
  sentences: readonly (readonly number[])[],
  yieldPoint?: YieldPoint,
): Promise<Float32Array[] | undefined> {
  const order = orderBy(sentences.length, (i) => sentences[i].length);
  const rows = new Array<Float32Array>(sentences.length);
  for (let start = 0; start < order.length; start += ENCODE_BATCH) {
    const picked = order.subarray(start, Math.min(order.length, start + ENCODE_BATCH));
    const h = tf.tidy(() => model.encode(sentenceBatch(Array.from(picked, (i) => sentences[i])), picked.length, false));
    const values = (await h.data().finally(() => h.dispose())) as Float32Array;
    const H = values.length / picked.length;
    picked.forEach((i, b) => (rows[i] = values.slice(b * H, (b + 1) * H)));
    if (await yieldPoint?.()) return undefined;
  }
  return rows;
}

/** Each downstream set's cross-validated accuracy (fraction), and their mean. */
async function downstream(model: SkipThoughtModel, data: SkipThoughtData, seed: number, yieldPoint?: YieldPoint) {
  const out: Record<string, number> = {};
  for (const set of data.downstream) {
    const vectors = await encodeSentences(model, set.sentences, yieldPoint);
    if (!vectors) return undefined;
    const cv = crossValidate({ x: matrixOf(vectors), y: set.labels, ...DOWNSTREAM, l2: [...DOWNSTREAM.l2], seed });
    out[`${set.name}_acc`] = cv.accuracy;
  }
  const accuracies = data.downstream.map((s) => out[`${s.name}_acc`]);
  return { ...out, mean_acc: accuracies.reduce((a, b) => a + b, 0) / accuracies.length };
}

async function evaluate(model: SkipThoughtModel, data: SkipThoughtData, seed: number, yieldPoint?: YieldPoint) {
  const valid = await evaluateNll(model, data, data.valid, yieldPoint);
  const test = valid !== undefined ? await evaluateNll(model, data, data.test, yieldPoint) : undefined;
  const accuracy = test !== undefined ? await downstream(model, data, seed, yieldPoint) : undefined;
  if (valid === undefined || test === undefined || !accuracy) return undefined;
  return { valid_nll: valid, test_nll: test, ...accuracy };
}

/** Validation sentences shown with their nearest training sentences (Kiros et al.'s Table 2). */
const QUERIES = 6;
const NEIGHBOURS = 3;
/** A query has this many words at least and at most (a one-word sentence's neighbours say little). */
const QUERY_WORDS = [6, 25] as const;

/** The most training sentences searched for neighbours (their vectors are kept in memory at once). */
const POOL = 20000;

/** The largest of `values` (at least 1), without spreading them as arguments (a call takes ~100,000 at most). */
const largest = (values: Iterable<number>) => {
  let top = 1;
  for (const v of values) if (v > top) top = v;
  return top;
};

/** `v` over its length (a zero vector stays zero). */
function unit(v: Float32Array): Float32Array {
  let sum = 0;
  for (const x of v) sum += x * x;
  const norm = Math.sqrt(sum) || 1;
  return v.map((x) => x / norm);
}

/**
 * The nearest of the sentences the model was trained on as current sentences (the first POOL of them), by the cosine
 * of their vectors, to a few validation sentences.
 */
async function neighboursArtifact(model: SkipThoughtModel, data: SkipThoughtData): Promise<NeighboursArtifact> {
  const train = data.train;
  const pool = Array.from(train.centres.subarray(0, POOL), (c) => train.split.sentences[c]);
  const text = (s: readonly number[]) => s.map((id) => data.vocabulary[id]).join(' ');
  const fit = data.valid.split.sentences.filter((s) => s.length >= QUERY_WORDS[0] && s.length <= QUERY_WORDS[1]);
  const queries = Array.from(
    { length: Math.min(QUERIES, fit.length) },
    (_, q) => fit[Math.floor(((q + 0.5) * fit.length) / QUERIES)],
  );
  const units = (await encodeSentences(model, pool))!.map(unit);
  const queryUnits = (await encodeSentences(model, queries))!.map(unit);
  return {
    pool: `${pool.length.toLocaleString('en-US')} training sentences`,
    queries: queries.map((query, q) => {
      const u = queryUnits[q];
      const cosines = units.map((p) => p.reduce((s, x, j) => s + x * u[j], 0));
      const best = orderBy(cosines.length, (i) => -cosines[i]).subarray(0, NEIGHBOURS);
      return {
        query: text(query),
        neighbours: Array.from(best, (i) => ({ sentence: text(pool[i]), cosine: cosines[i] })),
      };
    }),
  };
}

/**
 * [longest current sentence, longest decoded sentence (its words and <eos>), mean decoded sentence of the training
 * triples]: a batch's states pad to the longest, its softmax is over the words it has (32 sentences' total is near
 * 32 times the mean).
 */
const dataShape = (data: SkipThoughtData): DataShape => {
  const sets = [data.train, data.valid, data.test];
  const longest = largest(sets.flatMap((s) => Array.from(s.centres, (c) => s.split.sentences[c].length)));
  const decoded = (s: TripleSet) =>
    Array.from(s.centres, (c) => [c - 1, c + 1].map((i) => s.split.sentences[i].length + 1)).flat();
  const train = decoded(data.train);
  return {
    shape: [longest, largest(sets.flatMap(decoded)), Math.ceil(train.reduce((a, b) => a + b, 0) / train.length)],
    vocabulary: data.vocabulary.length,
  };
};

function createSkipThought(config: Readonly<RunConfig>, data: SkipThoughtData): Task {
  const cfg = config.model as SkipThoughtConfig;
  const model = buildModel<SkipThoughtModel>({ config: cfg, data: dataShape(data), seed: config.train.seed });
  const train = data.train;
  const batchOf = (batch: Int32Array) =>
    tripleBatch(
      train.split.sentences,
      Array.from(batch, (k) => train.centres[k]),
      data.eos,
    );
  return {
    parameters: model.parameters(),
    trainCount: train.count,
    objective(batch) {
      const { nll, words } = model.loss(batchOf(batch), true);
      return tf.div(nll, words) as tf.Scalar;
    },
    forward: (batch) => tf.tidy(() => void model.loss(batchOf(batch), true)),
    perExample: (value) => value,
    lossColumn: skipthought.lossColumn,
    evaluate: (yieldPoint) => evaluate(model, data, config.data.seed, yieldPoint),
    artifacts: async () => ({ neighbours: await neighboursArtifact(model, data) }),
    dispose: () => disposeModule(model),
  };
}

/** `count` of a split's triples (a seeded choice kept in text order when fewer than all). */
function tripleSet(split: TripleSplit, count: number, name: TextSplit, seed: number): TripleSet {
  const all = split.centres.length;
  const centres =
    count === all
      ? Int32Array.from(split.centres)
      : orderedSample(all, count, rngFor(seed, 'triples', name)).map((k) => split.centres[k]);
  return { split, centres, count };
}

function load(data: DataConfig): SkipThoughtData {
  const books = data.books as BookSet[];
  const triples = loadTriples({ books, maxVocab: data.maxVocab as number, maxTokens: data.maxTokens as number });
  const available = (s: TextSplit) => triples[s].centres.length;
  const sizes = `${available('train')} / ${available('valid')} / ${available('test')}`;
  const refuse = (key: string, asked: number, most: number, what: string) => {
    throw new UserError(
      `${key}: ${asked} ${what} asked for, but data.books [${books.join(', ')}] give ${sizes} triples (train / valid / test); set ${key} to at most ${most}`,
    );
  };
  if (data.train > available('train')) refuse('data.train', data.train, available('train'), 'training triples');
  const most = Math.min(available('valid'), available('test'));
  if (data.test > most) refuse('data.test', data.test, most, 'validation and test triples each');
  const vocab = vocabularyOf(triples.vocabulary);
  const downstreamSets = loadSentimentSets().map((s) => ({
    name: s.name,
    sentences: s.tokens.map((words) => encode(vocab, words)),
    labels: s.labels,
  }));
  return {
    train: tripleSet(triples.train, data.train, 'train', data.seed),
    valid: tripleSet(triples.valid, data.test, 'valid', data.seed),
    test: tripleSet(triples.test, data.test, 'test', data.seed),
    vocabulary: triples.vocabulary,
    eos: vocab.ids.get(EOS)!,
    downstream: downstreamSets,
    origin: `sentence triples from the books ${books.join(', ')} (README, Text data), triples ${triples.key}: ${sizes} in train / valid / test, ${triples.vocabulary.length} words; downstream: the UCI Sentiment Labelled Sentences (CC BY 4.0) from the npm package sentiment`,
  };
}

export const implementation: TaskImplementation<SkipThoughtData> = {
  load,
  create: createSkipThought,
  footprint: (_config, data) => ({ data: dataShape(data), deviceValues: 0, evalBatch: EVAL_BATCH }),
};
