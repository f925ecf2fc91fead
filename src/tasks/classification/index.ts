// Classification of images (MLP on flat pixels, convnet on images, RNN on rows or pixels): softmax cross-entropy,
// test NLL and error.
import * as tf from '@tensorflow/tfjs';
import { loadImages } from '../../data/images';
import { imageSize, type Dataset, type ImageSet } from '../../data/types';
import { batchSums, type YieldPoint } from '../../metrics/batch-sums';
import { meanNll, nllAndErrorSums } from '../../metrics/classification';
import { buildModel } from '../../models/registry';
import type { Classifier, DataShape } from '../../models/types';
import { disposeModule } from '../../util/module';
import type { Task } from '../../train/task';
import type { RunConfig } from '../schema';
import type { TaskImplementation } from '../types';
import { classification } from './spec';

const EVAL_BATCH = 1000;

/** One example's shape in each data view (the device keeps images as flat rows; models reshape). */
export function viewShape(view: string, [h, w, c]: ImageSet['shape']): number[] {
  const shapes: Record<string, number[]> = {
    flat: [h * w * c],
    image: [h, w, c],
    rows: [h, w * c], // h steps of a row's pixels
    pixels: [h * w * c, 1], // one step per pixel
  };
  if (!shapes[view]) throw new Error(`classification: no data view ${view}`);
  return shapes[view];
}

interface DeviceSplit {
  images: tf.Tensor2D; // [n, dims]
  labels: tf.Tensor1D; // [n] int32
}

function toDevice(set: ImageSet): DeviceSplit {
  return {
    images: tf.tensor2d(set.images, [set.count, imageSize(set)]),
    labels: tf.tensor1d(Int32Array.from(set.labels), 'int32'),
  };
}

/**
 * Test NLL and error with the model in evaluation mode: per-batch sums stay on the device and are read back in one
 * asynchronous transfer, then added in batch order. Undefined when `yieldPoint` asked to stop.
 */
async function evaluate(model: Classifier, split: DeviceSplit, yieldPoint?: YieldPoint) {
  const n = split.labels.shape[0];
  const sums = await batchSums({
    count: n,
    batchSize: EVAL_BATCH,
    batch: (start, size) => {
      const logits = model.logits(tf.slice(split.images, [start, 0], [size, -1]), false);
      const s = nllAndErrorSums(logits, tf.slice(split.labels, [start], [size]));
      return tf.stack([s.nll, s.errors]) as tf.Tensor1D;
    },
    yieldPoint,
  });
  return sums && { test_nll: sums[0] / n, test_error: sums[1] / n };
}

const dataShape = (config: Readonly<RunConfig>, data: Dataset<ImageSet>): DataShape => ({
  shape: viewShape(config.data.view, data.train.shape),
  classes: data.train.classes,
});

function createClassification(config: Readonly<RunConfig>, data: Dataset<ImageSet>): Task {
  const model = buildModel<Classifier>({
    config: config.model,
    data: dataShape(config, data),
    seed: config.train.seed,
  });
  const train = toDevice(data.train);
  const test = toDevice(data.test);
  const classes = data.train.classes;
  return {
    parameters: model.parameters(),
    trainCount: data.train.count,
    objective(batch) {
      const idx = tf.tensor1d(batch, 'int32');
      const x = tf.gather(train.images, idx) as tf.Tensor2D;
      const y = tf.oneHot(tf.gather(train.labels, idx), classes) as tf.Tensor2D;
      return meanNll(model.logits(x, true), y);
    },
    forward(batch) {
      tf.tidy(() => void model.logits(tf.gather(train.images, tf.tensor1d(batch, 'int32')), true));
    },
    perExample: (value) => value,
    lossColumn: classification.lossColumn,
    evaluate: (yieldPoint) => evaluate(model, test, yieldPoint),
    dispose() {
      disposeModule(model);
      tf.dispose([train.images, train.labels, test.images, test.labels]);
    },
  };
}

export const implementation: TaskImplementation<Dataset<ImageSet>> = {
  load: (data) => loadImages(data),
  create: createClassification,
  footprint: (config, data) => ({
    data: dataShape(config, data),
    deviceValues: (data.train.count + data.test.count) * imageSize(data.train),
    evalBatch: EVAL_BATCH,
  }),
};
