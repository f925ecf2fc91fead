// Trains one run: seeded model and shuffles, Adam, per-epoch evaluation; stops on a non-finite loss or a stop request.
import * as tf from '@tensorflow/tfjs';
import type { DataView, RunConfig } from '../config/schema';
import { CLASSES, IMAGE_SIDE, PIXELS, type Dataset, type Split } from '../data/types';
import { meanNll, nllAndErrorSums } from '../metrics/classification';
import { buildModel } from '../models/registry';
import { disposeModel, type Model } from '../models/types';
import { Adam } from './adam';
import { epochBatches, stepsPerEpoch } from './batches';

/** One row of metrics.csv. */
export interface EpochMetrics {
  epoch: number;
  /** Optimizer updates so far. */
  step: number;
  /** Mean cross-entropy (nats) over this epoch's training examples, with the weights as they were at each step. */
  train_nll: number;
  test_nll: number;
  /** Fraction of test examples misclassified. */
  test_error: number;
  /** Since the run began. */
  seconds: number;
}

export type TrainStatus = 'complete' | 'diverged' | 'interrupted';

export interface TrainResult {
  status: TrainStatus;
  rows: EpochMetrics[];
  steps: number;
  /** Training examples processed and the seconds spent in training steps (evaluation excluded). */
  examples: number;
  trainSeconds: number;
  message?: string;
}

export interface StepInfo {
  epoch: number;
  /** 1-based step within the epoch. */
  step: number;
  stepsPerEpoch: number;
  loss: number;
}

export interface TrainOptions {
  config: Readonly<RunConfig>;
  data: Dataset;
  /** Checked after every step; true ends the run as `interrupted`. */
  shouldStop?: () => boolean;
  onStep?: (info: StepInfo) => void;
  /** Called after each epoch with all rows so far (the caller writes metrics.csv). */
  onEpoch?: (rows: readonly EpochMetrics[]) => void;
}

const EVAL_BATCH = 1000;

/** One example's shape for each data view (the device keeps images as flat rows; models reshape). */
const INPUT_SHAPES: Record<DataView, number[]> = {
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

/** Test NLL and error with the model in evaluation mode (batch norm uses its running averages). */
export function evaluate(model: Model, split: DeviceSplit): { nll: number; error: number } {
  const n = split.labels.shape[0];
  let nll = 0;
  let errors = 0;
  for (let start = 0; start < n; start += EVAL_BATCH) {
    const size = Math.min(EVAL_BATCH, n - start);
    const sums = tf.tidy(() => {
      const logits = model.logits(tf.slice(split.images, [start, 0], [size, -1]), false);
      const s = nllAndErrorSums(logits, tf.slice(split.labels, [start], [size]));
      return tf.stack([s.nll, s.errors]);
    });
    const [batchNll, batchErrors] = sums.dataSync();
    sums.dispose();
    nll += batchNll;
    errors += batchErrors;
  }
  return { nll: nll / n, error: errors / n };
}

function trainStep(model: Model, optimizer: Adam, train: DeviceSplit, batch: Int32Array): number {
  return tf.tidy(() => {
    const idx = tf.tensor1d(batch, 'int32');
    const x = tf.gather(train.images, idx) as tf.Tensor2D;
    const y = tf.oneHot(tf.gather(train.labels, idx), CLASSES) as tf.Tensor2D;
    return optimizer.minimize(() => meanNll(model.logits(x, true), y), model.trainable);
  });
}

/** Lets timers and signal handlers (progress redraws, Ctrl-C) run between synchronous training steps. */
const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));
const YIELD_EVERY_MS = 50;

export async function train(opts: TrainOptions): Promise<TrainResult> {
  const { config, data } = opts;
  const started = performance.now();
  const since = () => (performance.now() - started) / 1000;
  const inputShape = INPUT_SHAPES[config.data.view];
  const model = buildModel({ config: config.model, inputShape, classes: CLASSES, seed: config.train.seed });
  // Adam with the usual constants (Kingma & Ba 2015): beta1 0.9, beta2 0.999, epsilon 1e-8.
  const optimizer = new Adam({ learningRate: config.train.learningRate });
  const trainSet = toDevice(data.train, data.dims);
  const testSet = toDevice(data.test, data.dims);
  const perEpoch = stepsPerEpoch(data.train.count, config.train.batchSize);
  const result: TrainResult = { status: 'complete', rows: [], steps: 0, examples: 0, trainSeconds: 0 };
  let lastYield = performance.now();
  try {
    for (let epoch = 1; epoch <= config.train.epochs && result.status === 'complete'; epoch++) {
      let lossSum = 0;
      let seen = 0;
      const batches = epochBatches(data.train.count, config.train.batchSize, config.train.seed, epoch);
      for (let i = 0; i < batches.length; i++) {
        const t0 = performance.now();
        const loss = trainStep(model, optimizer, trainSet, batches[i]);
        result.trainSeconds += (performance.now() - t0) / 1000;
        result.steps += 1;
        result.examples += batches[i].length;
        if (!Number.isFinite(loss)) {
          result.status = 'diverged';
          result.message = `non-finite training loss (${loss}) at epoch ${epoch}, step ${result.steps}`;
          break;
        }
        lossSum += loss * batches[i].length;
        seen += batches[i].length;
        opts.onStep?.({ epoch, step: i + 1, stepsPerEpoch: perEpoch, loss });
        if (performance.now() - lastYield > YIELD_EVERY_MS) {
          await yieldToEventLoop();
          lastYield = performance.now();
        }
        if (opts.shouldStop?.()) {
          result.status = 'interrupted';
          result.message = `stopped at epoch ${epoch}, step ${result.steps}; only complete epochs are recorded`;
          break;
        }
      }
      if (result.status !== 'complete') break;
      const test = evaluate(model, testSet);
      result.rows.push({ epoch, step: result.steps, train_nll: lossSum / seen, test_nll: test.nll, test_error: test.error, seconds: since() });
      opts.onEpoch?.(result.rows);
    }
  } finally {
    optimizer.dispose();
    disposeModel(model);
    tf.dispose([trainSet.images, trainSet.labels, testSet.images, testSet.labels]);
  }
  return result;
}
