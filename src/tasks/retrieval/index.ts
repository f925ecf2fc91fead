// Caption-image retrieval on digit strips (paper section 6.1): a ranking loss over the pairs of each mini-batch;
// evaluation ranks all N test captions for each test image and all N test images for each caption.
import * as tf from '@tensorflow/tfjs';
import { loadImages } from '../../data/images';
import type { Dataset } from '../../data/types';
import type { YieldPoint } from '../../metrics/batch-sums';
import { rankingLoss, retrievalMetrics } from '../../metrics/retrieval';
import type { RankingLoss } from '../../metrics/types';
import type { RetrievalModel } from '../../models/retrieval';
import type { RetrievalConfig } from '../../models/retrieval/spec';
import { buildModel } from '../../models/registry';
import type { DataShape } from '../../models/types';
import { disposeModule } from '../../util/module';
import type { Task } from '../../train/task';
import type { DataConfig, RunConfig } from '../schema';
import type { TaskImplementation } from '../types';
import { retrieval } from './spec';
import { buildStrips, WORDS, type Strips } from './strips';

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

/** The test set embedded EVAL_BATCH pairs at a time; undefined when `yieldPoint` asked to stop. */
async function embedTest(model: RetrievalModel, test: Strips, testImages: tf.Tensor2D, yieldPoint?: YieldPoint) {
  const parts: { images: tf.Tensor2D; captions: tf.Tensor2D }[] = [];
  try {
    for (let start = 0; start < test.count; start += EVAL_BATCH) {
      const idx = Int32Array.from({ length: Math.min(EVAL_BATCH, test.count - start) }, (_, i) => start + i);
      parts.push(
        tf.tidy(() => ({
          images: model.embedImages(tf.slice(testImages, [start, 0], [idx.length, -1]), false),
          captions: embedCaptionsOf(model, test, idx, false),
        })),
      );
      if (await yieldPoint?.()) return undefined;
    }
    return tf.tidy(() => ({
      images: tf.concat(parts.map((p) => p.images)) as tf.Tensor2D,
      captions: tf.concat(parts.map((p) => p.captions)) as tf.Tensor2D,
    }));
  } finally {
    tf.dispose(parts.flatMap((p) => [p.images, p.captions]));
  }
}

/** Test metrics: the test set embedded, then ranked in both directions; undefined when asked to stop. */
async function evaluateRetrieval(
  model: RetrievalModel,
  test: Strips,
  testImages: tf.Tensor2D,
  loss: RankingLoss,
  yieldPoint?: YieldPoint,
) {
  const embedded = await embedTest(model, test, testImages, yieldPoint);
  if (!embedded) return undefined;
  try {
    return await retrievalMetrics(embedded.images, embedded.captions, test.captions, loss);
  } finally {
    tf.dispose([embedded.images, embedded.captions]);
  }
}

/** Strips of the run's digits (data.view strips: minDigits..maxDigits digits each) and their captions. */
function loadStrips(data: DataConfig): Dataset<Strips> {
  const { minDigits, maxDigits } = data; // filled in by the spec's resolveData
  if (typeof minDigits !== 'number' || typeof maxDigits !== 'number') throw new Error('retrieval: no strip sizes');
  const images = loadImages(data);
  const strip = { minDigits, maxDigits, seed: data.seed };
  return {
    train: buildStrips(images.train, { ...strip, purpose: 'train' }),
    test: buildStrips(images.test, { ...strip, purpose: 'test' }),
    origin: images.origin,
  };
}

/** What the model sees: a strip's pixels, and captions of at most maxDigits words of the ten. */
const dataShape = (data: Dataset<Strips>): DataShape => ({
  shape: [data.train.images.length / data.train.count],
  vocabulary: WORDS.length,
  maxTokens: data.train.maxDigits,
});

function createRetrieval(config: Readonly<RunConfig>, data: Dataset<Strips>): Task {
  const cfg = config.model as RetrievalConfig;
  const { train, test } = data;
  const shape = dataShape(data);
  const model = buildModel<RetrievalModel>({ config: cfg, data: shape, seed: config.train.seed });
  const pixels = shape.shape[0];
  const trainImages = tf.tensor2d(train.images, [train.count, pixels]);
  const testImages = tf.tensor2d(test.images, [test.count, pixels]);
  return {
    parameters: model.parameters(),
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
    lossColumn: retrieval.lossColumn,
    evaluate: (yieldPoint) => evaluateRetrieval(model, test, testImages, cfg.loss, yieldPoint),
    dispose() {
      disposeModule(model);
      tf.dispose([trainImages, testImages]);
    },
  };
}

export const implementation: TaskImplementation<Dataset<Strips>> = {
  load: loadStrips,
  create: createRetrieval,
  footprint: (_config, data) => {
    const shape = dataShape(data);
    return { data: shape, deviceValues: (data.train.count + data.test.count) * shape.shape[0], evalBatch: EVAL_BATCH };
  },
};
