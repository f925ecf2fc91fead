// The paper's generative experiment (section 6.4): DRAW on binarized MNIST, trained on the negative variational
// bound and scored by it on the test set (nats per example). Every draw of the noise comes from seeds: training
// steps from (train.seed, step), evaluation from a fixed seed per sample and batch, so that a rerun, and the
// models a sweep compares, see the same noise.
import * as tf from '@tensorflow/tfjs';
import { binarize, loadImages } from '../../data/images';
import { rngFor } from '../../data/rng';
import { imageSize, type Dataset, type ImageSet } from '../../data/types';
import { batchSums, type YieldPoint } from '../../metrics/batch-sums';
import type { DrawModel, Noise } from '../../models/draw';
import type { DrawConfig } from '../../models/draw/spec';
import { buildModel } from '../../models/registry';
import type { DataShape } from '../../models/types';
import { disposeModule } from '../../util/module';
import type { Task } from '../../train/task';
import type { DataConfig, RunConfig } from '../schema';
import type { TaskImplementation } from '../types';
import { draw, type SamplesArtifact, type StripArtifact } from './spec';

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
 * sums stay on the device and are read back once. Undefined when `yieldPoint` asked to stop.
 */
async function evaluateDraw(model: DrawModel, config: DrawConfig, test: tf.Tensor2D, yieldPoint?: YieldPoint) {
  const n = test.shape[0];
  const batch = (start: number, size: number, sample: number) => {
    const { noise } = noiseFor(config, size, seedOf('evaluation', sample, start));
    const { recon, kl } = model.bound(tf.slice(test, [start, 0], [size, -1]), noise);
    return tf.stack([tf.sum(recon), tf.sum(kl)]) as tf.Tensor1D;
  };
  const sums = await batchSums({ count: n, batchSize: EVAL_BATCH, batch, repeats: config.evalSamples, yieldPoint });
  if (!sums) return undefined;
  const [recon, kl] = sums;
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
  const side = Math.sqrt(test.shape[1]);
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
    const grid: SamplesArtifact = {
      rows: SAMPLE_GRID,
      cols: SAMPLE_GRID,
      side,
      pixels: await bytesOf([samples[samples.length - 1]]),
    };
    const steps: StripArtifact = {
      digits,
      steps: config.glimpses,
      side,
      inputs: await bytesOf([inputs]),
      pixels: await bytesOf([strip]),
    };
    return { samples: grid, strip: steps };
  } finally {
    tf.dispose([...samples, ...canvases, strip, inputs, prior.all, posterior.all]);
  }
}

/** The run's images, each binarized once over its whole source file (src/data/images.ts says why). */
function loadBinary(data: DataConfig): Dataset<ImageSet> {
  const images = loadImages(data, (set, purpose) => binarize(set, data.seed, purpose));
  return { ...images, origin: `${images.origin}, binarized` };
}

const dataShape = (data: Dataset<ImageSet>): DataShape => ({ shape: [imageSize(data.train)] });

function createDraw(config: Readonly<RunConfig>, data: Dataset<ImageSet>): Task {
  const cfg = config.model as DrawConfig;
  const model = buildModel<DrawModel>({ config: cfg, data: dataShape(data), seed: config.train.seed });
  const pixels = imageSize(data.train);
  const train = tf.tensor2d(data.train.images, [data.train.count, pixels]);
  const test = tf.tensor2d(data.test.images, [data.test.count, pixels]);
  let steps = 0;
  return {
    parameters: model.parameters(),
    trainCount: data.train.count,
    objective(batch) {
      steps += 1;
      const x = tf.gather(train, tf.tensor1d(batch, 'int32')) as tf.Tensor2D;
      const { noise } = noiseFor(cfg, batch.length, seedOf('train', config.train.seed, steps));
      const { recon, kl } = model.bound(x, noise);
      return tf.mean(tf.add(recon, kl)) as tf.Scalar;
    },
    forward() {}, // no batch norm: no statistics pass
    perExample: (value) => value,
    lossColumn: draw.lossColumn,
    evaluate: (yieldPoint) => evaluateDraw(model, cfg, test, yieldPoint),
    artifacts: () => drawArtifacts(model, cfg, test),
    dispose() {
      disposeModule(model);
      tf.dispose([train, test]);
    },
  };
}

export const implementation: TaskImplementation<Dataset<ImageSet>> = {
  load: loadBinary,
  create: createDraw,
  footprint: (config, data) => ({
    data: dataShape(data),
    deviceValues: (data.train.count + data.test.count) * imageSize(data.train),
    evalBatch: EVAL_BATCH,
    keptTensors: (config.model as DrawConfig).evalSamples * Math.ceil(data.test.count / EVAL_BATCH),
    keptKey: 'model.evalSamples',
  }),
};
