// Classification of MNIST digits (MLP on flat pixels, convnet on images, RNN on rows or pixels): softmax
// cross-entropy, test NLL and error.
import * as tf from '@tensorflow/tfjs';
import type { DataView, RunConfig } from '../config/schema';
import { CLASSES, IMAGE_SIDE, PIXELS, type Dataset, type Split } from '../data/types';
import { batchSums } from '../metrics/batch-sums';
import { meanNll, nllAndErrorSums } from '../metrics/classification';
import { METRIC_COLUMNS } from '../metrics/types';
import { buildModel } from '../models/registry';
import { disposeModel, type Model } from '../models/types';
import { fixed } from '../util/format';
import type { Task } from '../train/task';
import type { TaskKind } from './types';

const EVAL_BATCH = 1000;

/** One example's shape for each data view (the device keeps images as flat rows; models reshape). */
export const INPUT_SHAPES: Record<Exclude<DataView, 'strips' | 'binary'>, number[]> = {
  flat: [PIXELS],
  image: [IMAGE_SIDE, IMAGE_SIDE, 1],
  rows: [IMAGE_SIDE, IMAGE_SIDE], // 28 steps of 28 pixels
  pixels: [PIXELS, 1], // 784 steps of 1 pixel
};

interface DeviceSplit {
  images: tf.Tensor2D; // [n, dims]
  labels: tf.Tensor1D; // [n] int32
}

function toDevice(split: Split, dims: number): DeviceSplit {
  return {
    images: tf.tensor2d(split.images, [split.count, dims]),
    labels: tf.tensor1d(Int32Array.from(split.labels), 'int32'),
  };
}

/**
 * Test NLL and error with the model in evaluation mode: per-batch sums stay on the device and are read back in one
 * asynchronous transfer, then added in batch order.
 */
async function evaluate(model: Model, split: DeviceSplit): Promise<{ nll: number; error: number }> {
  const n = split.labels.shape[0];
  const [nll, errors] = await batchSums(n, EVAL_BATCH, (start, size) => {
    const logits = model.logits(tf.slice(split.images, [start, 0], [size, -1]), false);
    const s = nllAndErrorSums(logits, tf.slice(split.labels, [start], [size]));
    return tf.stack([s.nll, s.errors]) as tf.Tensor1D;
  });
  return { nll: nll / n, error: errors / n };
}

function createClassification(config: Readonly<RunConfig>, data: Dataset): Task {
  const { model: modelConfig, data: dataConfig } = config;
  const view = dataConfig.view;
  if (modelConfig.kind === 'retrieval' || modelConfig.kind === 'draw' || view === 'strips' || view === 'binary')
    throw new Error('classification: not a classification config');
  const model = buildModel({
    config: modelConfig,
    inputShape: INPUT_SHAPES[view],
    classes: CLASSES,
    seed: config.train.seed,
  });
  const train = toDevice(data.train, data.dims);
  const test = toDevice(data.test, data.dims);
  return {
    trainable: model.trainable,
    trainCount: data.train.count,
    objective(batch) {
      const idx = tf.tensor1d(batch, 'int32');
      const x = tf.gather(train.images, idx) as tf.Tensor2D;
      const y = tf.oneHot(tf.gather(train.labels, idx), CLASSES) as tf.Tensor2D;
      return meanNll(model.logits(x, true), y);
    },
    forward(batch) {
      tf.tidy(() => void model.logits(tf.gather(train.images, tf.tensor1d(batch, 'int32')), true));
    },
    perExample: (value) => value,
    lossColumn: 'train_nll',
    async evaluate() {
      const r = await evaluate(model, test);
      return { test_nll: r.nll, test_error: r.error };
    },
    dispose() {
      disposeModel(model);
      tf.dispose([train.images, train.labels, test.images, test.labels]);
    },
  };
}

export const classification: TaskKind = {
  name: 'classification',
  accepts: (config) => ['mlp', 'conv', 'rnn'].includes(config.model.kind),
  create: createClassification,
  columns: METRIC_COLUMNS,
  epochText: (row) =>
    `train_nll ${fixed(row.train_nll)} test_nll ${fixed(row.test_nll)} test_error ${fixed(row.test_error)}`,
  tableColumns: ['test_error', 'test_nll', 'train_nll'],
  curves: [
    { measure: 'train_nll', title: 'train NLL (nats, log scale)', log: true },
    { measure: 'test_error', title: 'test error (fraction)' },
  ],
  sweepAxis: { measure: 'test_error', title: 'test error (fraction)' },
  finalColumns: [
    { measure: 'test_error', digits: 4 },
    { measure: 'test_nll', digits: 4 },
    { measure: 'train_nll', digits: 4 },
  ],
  extraFigures: [],
};
