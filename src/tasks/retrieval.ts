// Caption-image retrieval on digit strips (paper section 6.1): a ranking loss over the pairs of each mini-batch;
// evaluation ranks all N test captions for each test image and all N test images for each caption.
import * as tf from '@tensorflow/tfjs';
import type { RunConfig } from '../config/schema';
import { buildStrips, type Strips } from '../data/strips';
import type { Dataset } from '../data/types';
import { rankingLoss, retrievalMetrics } from '../metrics/retrieval';
import { METRIC_COLUMNS, RETRIEVAL_METRICS, type EpochMetrics, type RankingLoss } from '../metrics/types';
import { buildRetrieval, type RetrievalModel } from '../models/retrieval';
import { fixed } from '../util/format';
import type { Task } from '../train/task';
import type { TaskKind } from './types';

const EVAL_BATCH = 500;

/** The rows `batch` of a [count, width] row-major array. */
function rowsOf<T extends Int32Array | Float32Array>(a: T, width: number, batch: ArrayLike<number>): T {
  const out = new (a.constructor as new (n: number) => T)(batch.length * width);
  for (let i = 0; i < batch.length; i++) out.set(a.subarray(batch[i] * width, (batch[i] + 1) * width), i * width);
  return out;
}

/** [B, B] 1 where pairs i and j of the batch have the same caption. */
function sameCaption(captions: readonly string[], batch: ArrayLike<number>): tf.Tensor2D {
  const n = batch.length;
  const m = new Float32Array(n * n);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < n; j++) m[i * n + j] = captions[batch[i]] === captions[batch[j]] ? 1 : 0;
  return tf.tensor2d(m, [n, n]);
}

/** The caption lengths of rows `batch` of `s`. */
const lengthsOf = (s: Strips, batch: ArrayLike<number>) => Int32Array.from(batch, (i) => s.lengths[i]);

/** The captions of rows `batch` of `s` through the sentence encoder. */
function embedCaptionsOf(model: RetrievalModel, s: Strips, batch: ArrayLike<number>, training: boolean): tf.Tensor2D {
  return model.embedCaptions(rowsOf(s.tokens, s.maxDigits, batch), lengthsOf(s, batch), s.maxDigits, training);
}

/** Test metrics: the test set embedded EVAL_BATCH pairs at a time, then ranked in both directions. */
async function evaluateRetrieval(model: RetrievalModel, test: Strips, testImages: tf.Tensor2D, loss: RankingLoss) {
  const parts: { images: tf.Tensor2D; captions: tf.Tensor2D }[] = [];
  for (let start = 0; start < test.count; start += EVAL_BATCH) {
    const idx = Int32Array.from({ length: Math.min(EVAL_BATCH, test.count - start) }, (_, i) => start + i);
    parts.push(
      tf.tidy(() => ({
        images: model.embedImages(tf.slice(testImages, [start, 0], [idx.length, -1]), false),
        captions: embedCaptionsOf(model, test, idx, false),
      })),
    );
  }
  const images = tf.concat(parts.map((p) => p.images)) as tf.Tensor2D;
  const captions = tf.concat(parts.map((p) => p.captions)) as tf.Tensor2D;
  try {
    return await retrievalMetrics(images, captions, test.captions, loss);
  } finally {
    tf.dispose([images, captions, ...parts.flatMap((p) => [p.images, p.captions])]);
  }
}

function createRetrieval(config: Readonly<RunConfig>, data: Dataset): Task {
  const { model: cfg, data: dataConfig } = config;
  if (cfg.kind !== 'retrieval' || dataConfig.view !== 'strips') throw new Error('retrieval: not a retrieval config');
  const strip = { minDigits: dataConfig.minDigits, maxDigits: dataConfig.maxDigits, seed: dataConfig.seed };
  const train = buildStrips(data.train, { ...strip, purpose: 'train' });
  const test = buildStrips(data.test, { ...strip, purpose: 'test' });
  const pixels = train.images.length / train.count;
  const model = buildRetrieval({ config: cfg, inputDims: pixels, seed: config.train.seed });
  const trainImages = tf.tensor2d(train.images, [train.count, pixels]);
  const testImages = tf.tensor2d(test.images, [test.count, pixels]);
  return {
    trainable: model.trainable,
    trainCount: train.count,
    objective(batch) {
      const images = model.embedImages(tf.gather(trainImages, tf.tensor1d(batch, 'int32')) as tf.Tensor2D, true);
      const captions = embedCaptionsOf(model, train, batch, true);
      return rankingLoss(images, captions, sameCaption(train.captions, batch), cfg.loss, cfg.margin);
    },
    // Only the sentence encoder can hold a batch norm (the image encoder has none); the ranking loss over all
    // pairs of a batch of 5,000 would not fit in memory ([B, B, embedDim] for the order loss).
    forward(batch) {
      tf.tidy(() => void embedCaptionsOf(model, train, batch, true));
    },
    perExample: (value, batchSize) => value / batchSize,
    lossColumn: 'train_nll',
    evaluate: () => evaluateRetrieval(model, test, testImages, cfg.loss),
    dispose() {
      tf.dispose([...model.trainable, ...model.state, trainImages, testImages]);
    },
  };
}

/** A row's recall@1/5/10 (percent) and mean rank in one direction, e.g. `caption R@1/5/10 12.3/40.1/60.2 rank 9.8`. */
function recallText(row: EpochMetrics, dir: 'caption' | 'image'): string {
  const r = (k: string) => fixed(row[`${dir}_${k}` as keyof EpochMetrics], 1);
  return `${dir} R@1/5/10 ${r('r1')}/${r('r5')}/${r('r10')} rank ${r('mean_rank')}`;
}

export const retrieval: TaskKind = {
  name: 'retrieval',
  accepts: (config) => config.model.kind === 'retrieval',
  create: createRetrieval,
  columns: [...METRIC_COLUMNS, ...RETRIEVAL_METRICS],
  epochText: (row) => `train_loss ${fixed(row.train_nll)} ${recallText(row, 'caption')} ${recallText(row, 'image')}`,
  tableColumns: ['caption_r1', 'caption_r10', 'image_r1', 'image_r10', 'train_nll'],
  curves: [
    { measure: 'train_nll', title: 'train ranking loss per pair (log scale)', log: true },
    { measure: 'caption_r1', title: 'caption R@1 (%)', domain: [0, 100] },
    { measure: 'image_r1', title: 'image R@1 (%)', domain: [0, 100] },
  ],
  sweepAxis: { measure: 'caption_r1', title: 'caption R@1 (%)' },
  // Recall in percent and mean ranks to two decimals.
  finalColumns: [{ measure: 'train_nll', digits: 4 }, ...RETRIEVAL_METRICS.map((measure) => ({ measure, digits: 2 }))],
  extraFigures: ['recall'],
};
