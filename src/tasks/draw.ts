// The paper's generative experiment (section 6.4): DRAW on binarized MNIST, trained on the negative variational
// bound and scored by it on the test set (nats per example). Every draw of the noise comes from seeds: training
// steps from (train.seed, step), evaluation from a fixed seed per sample and batch, so that a rerun, and the
// models a sweep compares, see the same noise.
import * as tf from '@tensorflow/tfjs';
import type { DrawConfig, RunConfig } from '../config/schema';
import { rngFor } from '../data/rng';
import { PIXELS, type Dataset } from '../data/types';
import { batchSums } from '../metrics/batch-sums';
import { DRAW_METRICS, METRIC_COLUMNS, type TestMetrics } from '../metrics/types';
import { buildDraw, disposeDraw, type DrawModel, type Noise } from '../models/draw';
import type { Task } from '../train/task';
import { fixed } from '../util/format';
import type { TaskKind } from './types';

const EVAL_BATCH = 500;
/** Digits drawn from the prior (a square grid) and test digits shown step by step, by the artifacts. */
export const SAMPLE_GRID = 8;
export const STRIP_DIGITS = 4;

/** A seed for tf.random* from a named stream: 1..2^31-1 (tfjs takes a seed of 0 as none, and draws at random). */
const seedOf = (...parts: (string | number)[]) => 1 + Math.floor(rngFor(0, 'draw', ...parts)() * (2 ** 31 - 1));

/** Noise for T steps of a batch: one seeded [T, b, latent] draw, step t its t-th slice. */
function noiseFor(config: DrawConfig, batch: number, seed: number): { noise: Noise; all: tf.Tensor3D } {
  const all = tf.randomNormal([config.glimpses, batch, config.latent], 0, 1, 'float32', seed) as tf.Tensor3D;
  return { all, noise: (t) => tf.squeeze(tf.slice(all, [t, 0, 0], [1, -1, -1]), [0]) };
}

/**
 * The test bound and its terms, averaged over examples and `evalSamples` draws of z each (fixed seeds): per-batch
 * sums stay on the device and are read back once.
 */
async function evaluateDraw(model: DrawModel, config: DrawConfig, test: tf.Tensor2D): Promise<TestMetrics> {
  const n = test.shape[0];
  const batch = (start: number, size: number, sample: number) => {
    const { noise } = noiseFor(config, size, seedOf('evaluation', sample, start));
    const { recon, kl } = model.bound(tf.slice(test, [start, 0], [size, -1]), noise);
    return tf.stack([tf.sum(recon), tf.sum(kl)]) as tf.Tensor1D;
  };
  const [recon, kl] = await batchSums(n, EVAL_BATCH, batch, config.evalSamples);
  const count = n * config.evalSamples;
  return { test_bound: (recon + kl) / count, test_recon: recon / count, test_kl: kl / count };
}

/** Values in [0, 1] as bytes (0-255), base64: how the artifacts store images. */
async function bytesOf(tensors: tf.Tensor[]): Promise<string> {
  const values = await Promise.all(tensors.map((t) => t.data()));
  const bytes = new Uint8Array(values.reduce((n, v) => n + v.length, 0));
  let k = 0;
  for (const v of values) for (const x of v) bytes[k++] = Math.round(Math.min(1, Math.max(0, x)) * 255);
  return Buffer.from(bytes).toString('base64');
}

/**
 * The completed run's pictures: SAMPLE_GRID^2 digits generated from the prior (the same z for every model), and the
 * canvas after each step while reconstructing the first STRIP_DIGITS test digits.
 */
async function drawArtifacts(model: DrawModel, config: DrawConfig, test: tf.Tensor2D) {
  const count = SAMPLE_GRID ** 2;
  const prior = noiseFor(config, count, seedOf('samples'));
  const samples = model.generate(prior.noise, count);
  const digits = Math.min(STRIP_DIGITS, test.shape[0]);
  const posterior = noiseFor(config, digits, seedOf('strip'));
  const inputs = tf.slice(test, [0, 0], [digits, -1]);
  const canvases = tf.tidy(() => model.canvases(inputs, posterior.noise));
  // [T, digits, 784] -> digit-major, so that each digit's steps are contiguous.
  const strip = tf.tidy(() => tf.transpose(tf.stack(canvases), [1, 0, 2]));
  try {
    return {
      samples: { rows: SAMPLE_GRID, cols: SAMPLE_GRID, side: 28, pixels: await bytesOf([samples[samples.length - 1]]) },
      strip: {
        digits,
        steps: config.glimpses,
        side: 28,
        inputs: await bytesOf([inputs]),
        pixels: await bytesOf([strip]),
      },
    };
  } finally {
    tf.dispose([...samples, ...canvases, strip, inputs, prior.all, posterior.all]);
  }
}

function createDraw(config: Readonly<RunConfig>, data: Dataset): Task {
  const cfg = config.model;
  if (cfg.kind !== 'draw' || config.data.view !== 'binary') throw new Error('draw: not a DRAW config');
  const model = buildDraw(cfg, config.train.seed);
  const train = tf.tensor2d(data.train.images, [data.train.count, PIXELS]);
  const test = tf.tensor2d(data.test.images, [data.test.count, PIXELS]);
  let steps = 0;
  return {
    trainable: model.trainable,
    trainCount: data.train.count,
    objective(batch) {
      steps += 1;
      const x = tf.gather(train, tf.tensor1d(batch, 'int32')) as tf.Tensor2D;
      const { noise } = noiseFor(cfg, batch.length, seedOf('train', config.train.seed, steps));
      const { recon, kl } = model.bound(x, noise);
      return tf.mean(tf.add(recon, kl)) as tf.Scalar;
    },
    forward() {}, // no batch norm: no population pass
    perExample: (value) => value,
    lossColumn: 'train_bound',
    evaluate: () => evaluateDraw(model, cfg, test),
    artifacts: () => drawArtifacts(model, cfg, test),
    dispose() {
      disposeDraw(model);
      tf.dispose([train, test]);
    },
  };
}

export const draw: TaskKind = {
  name: 'draw',
  accepts: (config) => config.model.kind === 'draw',
  create: createDraw,
  columns: [...METRIC_COLUMNS, ...DRAW_METRICS],
  epochText: (row) =>
    `train_bound ${fixed(row.train_bound, 2)} test_bound ${fixed(row.test_bound, 2)} ` +
    `(recon ${fixed(row.test_recon, 2)} + KL ${fixed(row.test_kl, 2)})`,
  tableColumns: ['test_bound', 'test_recon', 'test_kl', 'train_bound'],
  curves: [
    { measure: 'train_bound', title: 'train bound (nats, -ELBO per example)' },
    { measure: 'test_bound', title: 'test bound (nats, -ELBO per example)' },
  ],
  sweepAxis: { measure: 'test_bound', title: 'test bound (nats)' },
  finalColumns: DRAW_METRICS.map((measure) => ({ measure, digits: 2 })),
  extraFigures: ['draw-samples', 'draw-strip'],
};
