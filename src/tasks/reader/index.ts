// The paper's question-answering experiment (section 6.2): the attentive reader trained on the NLL of each cloze
// question's answer among its candidates; validation and test NLL and error after every epoch. The questions stay
// in memory; each batch is padded and sent to the device.
import * as tf from '@tensorflow/tfjs';
import type { BookSet } from '../../data/text/books';
import { rngFor } from '../../data/rng';
import { loadCloze, type ClozeData, type ClozeSet } from '../../data/text/cloze-set';
import type { Dataset } from '../../data/types';
import { batchSums, type YieldPoint } from '../../metrics/batch-sums';
import type { ReaderModel } from '../../models/reader';
import type { ReaderConfig } from '../../models/reader/spec';
import { buildModel } from '../../models/registry';
import type { DataShape } from '../../models/types';
import { disposeModule } from '../../util/module';
import type { Task } from '../../train/task';
import type { DataConfig, RunConfig } from '../schema';
import type { TaskImplementation } from '../types';
import type { AttentionArtifact } from './attention-chart';
import { byDocumentLength, longestOf, mostCandidates, readerBatch, relabeled } from './batch';
import { reader } from './spec';

/** Questions evaluated at once (sorted by document length, so that a batch pads little). */
const EVAL_BATCH = 64;

export type ReaderData = Dataset<ClozeSet> & ClozeData;

/** One-hot rows [batch, entities] of the answers at `indices`. */
function answerRows(set: ClozeSet, indices: ArrayLike<number>, entities: number): tf.Tensor2D {
  const rows = new Float32Array(indices.length * entities);
  Array.from(indices).forEach((q, b) => (rows[b * entities + set.answers[q]] = 1));
  return tf.tensor2d(rows, [indices.length, entities]);
}

/**
 * The batch's summed answer NLL [1] and errors [1] (the highest-scoring candidate is not the answer; a tie counts
 * as an error), and the attention [batch, steps].
 */
export function batchLoss(
  model: ReaderModel,
  data: ClozeData,
  set: ClozeSet,
  indices: ArrayLike<number>,
  training: boolean,
) {
  const out = model.read(readerBatch(set, indices, data.entities, data.firstEntity), training);
  const answers = answerRows(set, indices, data.entities);
  const logProbabilities = tf.logSoftmax(out.logits);
  const nll = tf.neg(tf.sum(tf.mul(logProbabilities, answers))) as tf.Scalar;
  return { nll, errors: tf.sum(answerErrors(out.logits, answers)) as tf.Scalar, attention: out.attention };
}

/**
 * [batch]: 1 for a question whose answer (one-hot `answers` [batch, entities]) does not score strictly above every
 * other entity of `logits` [batch, entities] (non-candidates hold MASKED): a tie is an error, and so is a NaN.
 */
export function answerErrors(logits: tf.Tensor2D, answers: tf.Tensor2D): tf.Tensor1D {
  const answerScore = tf.sum(tf.mul(logits, answers), 1, true);
  const below = tf.logicalOr(tf.greater(answerScore, logits), tf.cast(answers, 'bool')); // the answer's own column
  return tf.sub(1, tf.cast(tf.all(below, 1), 'float32')) as tf.Tensor1D;
}

/** NLL per question and error of `set`; undefined when `yieldPoint` asked to stop. */
async function evaluateSet(model: ReaderModel, data: ClozeData, set: ClozeSet, yieldPoint?: YieldPoint) {
  const order = byDocumentLength(set);
  const sums = await batchSums({
    count: set.count,
    batchSize: EVAL_BATCH,
    batch: (start, size) => {
      const { nll, errors } = batchLoss(model, data, set, order.subarray(start, start + size), false);
      return tf.stack([nll, errors]) as tf.Tensor1D;
    },
    yieldPoint,
  });
  return sums && { nll: sums[0] / set.count, error: sums[1] / set.count };
}

async function evaluate(model: ReaderModel, data: ClozeData, yieldPoint?: YieldPoint) {
  const valid = await evaluateSet(model, data, data.valid, yieldPoint);
  const test = valid && (await evaluateSet(model, data, data.test, yieldPoint));
  if (!valid || !test) return undefined;
  return { valid_nll: valid.nll, valid_error: valid.error, test_nll: test.nll, test_error: test.error };
}

async function attentionArtifact(model: ReaderModel, data: ClozeData): Promise<AttentionArtifact> {
  const set = data.valid;
  const [weights, logits] = tf.tidy(() => {
    const out = model.read(readerBatch(set, [0], data.entities, data.firstEntity), false);
    return [out.attention, tf.softmax(out.logits)];
  });
  const [s, p] = await Promise.all([weights.data(), logits.data()]).finally(() => tf.dispose([weights, logits]));
  const word = (id: number) => data.vocabulary[id];
  const entity = (k: number) => word(data.firstEntity + k);
  const sentences: string[][] = [];
  const attention: number[][] = [];
  let at = 0;
  for (const n of set.sentences[0]) {
    sentences.push(Array.from(set.documents[0].subarray(at, at + n), word));
    attention.push(Array.from(s.subarray(at, at + n)));
    at += n;
  }
  return {
    id: set.ids[0],
    sentences,
    attention,
    query: Array.from(set.queries[0], word),
    answer: entity(set.answers[0]),
    candidates: Array.from(set.candidates[0], (k) => ({ entity: entity(k), p: p[k] })),
  };
}

const dataShape = (data: ReaderData): DataShape => {
  const sets = [data.train, data.valid, data.test].map(longestOf);
  return {
    shape: [
      Math.max(...sets.map((s) => s.document)),
      Math.max(...sets.map((s) => s.query)),
      Math.max(...[data.train, data.valid, data.test].map(mostCandidates)),
    ],
    vocabulary: data.vocabulary.length,
    classes: data.entities,
  };
};

function createReader(config: Readonly<RunConfig>, data: ReaderData): Task {
  const cfg = config.model as ReaderConfig;
  const model = buildModel<ReaderModel>({ config: cfg, data: dataShape(data), seed: config.train.seed });
  let reads = 0; // training batches so far: each renames its entities afresh (batch.ts, relabeled)
  const relabel = (batch: Int32Array) => {
    const rng = rngFor(config.train.seed, 'relabel', reads++);
    return relabeled(data.train, batch, data.firstEntity, data.entities, rng);
  };
  return {
    parameters: model.parameters(),
    trainCount: data.train.count,
    objective(batch) {
      const set = relabel(batch);
      const all = Int32Array.from(batch, (_, i) => i);
      return tf.div(batchLoss(model, data, set, all, true).nll, batch.length) as tf.Scalar;
    },
    forward: (batch) =>
      tf.tidy(() => void model.read(readerBatch(data.train, batch, data.entities, data.firstEntity), true)),
    perExample: (value) => value,
    lossColumn: reader.lossColumn,
    evaluate: (yieldPoint) => evaluate(model, data, yieldPoint),
    artifacts: async () => ({ attention: await attentionArtifact(model, data) }),
    dispose: () => disposeModule(model),
  };
}

function load(data: DataConfig): ReaderData {
  const cloze = loadCloze({
    train: data.train,
    test: data.test,
    seed: data.seed,
    settings: {
      books: data.books as BookSet[],
      maxVocab: data.maxVocab as number,
      cloze: {
        contextSentences: data.contextSentences as number,
        candidates: data.candidates as number,
        seed: data.seed,
      },
    },
  });
  return cloze;
}

export const implementation: TaskImplementation<ReaderData> = {
  load,
  create: createReader,
  footprint: (_config, data) => ({ data: dataShape(data), deviceValues: 0, evalBatch: EVAL_BATCH }),
};
