// The paper's handwriting experiment (section 6.5): Graves' (2013) prediction network on pen-offset sequences,
// trained on the negative log-likelihood of every point (nats, summed over a sequence, averaged over sequences);
// test NLL per sequence and per point. The sequences stay in memory; each batch is padded and sent to the device.
import * as tf from '@tensorflow/tfjs';
import { loadHanzi } from '../../data/strokes/hanzi-data';
import { rngFor } from '../../data/rng';
import { pickSequences, type Dataset, type SequenceSet } from '../../data/types';
import { batchSums, type YieldPoint } from '../../metrics/batch-sums';
import { mdnPointNll, sampleMdnPoint } from '../../metrics/mdn';
import type { HandwritingModel } from '../../models/handwriting';
import type { HandwritingConfig } from '../../models/handwriting/spec';
import { buildModel } from '../../models/registry';
import type { DataShape } from '../../models/types';
import type { CellState } from '../../models/cells/types';
import { disposeModule } from '../../util/module';
import type { Task } from '../../train/task';
import type { DataConfig, RunConfig } from '../schema';
import type { TaskImplementation } from '../types';
import { byLength, longest, meanLength, strokeBatch } from './batch';
import { handwriting } from './spec';
import type { StrokeNllArtifact, StrokeSamplesArtifact } from './strokes-picture';

/** Sequences evaluated at once (sorted by length, so that a batch pads little). */
const EVAL_BATCH = 64;
/** Sequences sampled for the report, and test sequences shown with their per-point NLL. */
export const SAMPLES = 16;
export const NLL_SEQUENCES = 4;

type StrokeData = Dataset<SequenceSet> & { readonly meta?: { readonly std: readonly [number, number] } };

/**
 * The batch's summed NLL and the NLL of each of its points [points] (in the order of the batch's `rows`): the
 * output layer and the mixture density run on the real points only, so that no padded step enters the loss or its
 * gradient, even as 0 x a non-finite value.
 */
export function batchNll(
  model: HandwritingModel,
  mixtures: number,
  set: SequenceSet,
  indices: ArrayLike<number>,
  training: boolean,
) {
  const b = strokeBatch(set, indices);
  const w = set.width;
  const xs = tf.tensor2d(b.inputs, [b.steps * b.batch, w]);
  const y = model.outputs(xs, b.steps, b.batch, training, tf.tensor1d(b.rows, 'int32'));
  const perPoint = mdnPointNll(y, tf.tensor2d(b.targets, [b.points, w]), mixtures);
  return { sum: tf.sum(perPoint) as tf.Scalar, perPoint, batch: b };
}

/** Test NLL per sequence and per point; undefined when `yieldPoint` asked to stop. */
async function evaluate(model: HandwritingModel, mixtures: number, test: SequenceSet, yieldPoint?: YieldPoint) {
  const order = byLength(test);
  const sums = await batchSums({
    count: test.count,
    batchSize: EVAL_BATCH,
    batch: (start, size) =>
      tf.reshape(batchNll(model, mixtures, test, order.subarray(start, start + size), false).sum, [1]) as tf.Tensor1D,
    yieldPoint,
  });
  if (!sums) return undefined;
  return { test_nll: sums[0] / test.count, test_nll_per_point: sums[0] / test.offsets[test.count] };
}

/** Values of a [rows, cols] tensor as rows of numbers. */
const rowsOf = (values: Float32Array, cols: number) =>
  Array.from({ length: values.length / cols }, (_, r) => values.subarray(r * cols, (r + 1) * cols));

/**
 * SAMPLES sequences of `steps` points generated from the network: each step's mixture sampled in JavaScript from a
 * fixed random stream (the same for every run), biased by model.sampleBias, and fed back as the next input.
 */
async function sample(model: HandwritingModel, cfg: HandwritingConfig, steps: number): Promise<number[][]> {
  const rng = rngFor(0, 'handwriting', 'samples');
  const sequences: number[][] = Array.from({ length: SAMPLES }, () => []);
  type Step = ReturnType<HandwritingModel['step']>;
  const stateTensors = (s: CellState[]) => s.flatMap((c) => (c.c ? [c.h, c.c] : [c.h]));
  let held: tf.Tensor[] = [];
  try {
    let states: CellState[] = model.initial(SAMPLES);
    let x = tf.zeros([SAMPLES, 3]) as tf.Tensor2D;
    held = [x, ...stateTensors(states)];
    for (let t = 0; t < steps; t++) {
      const out = tf.tidy(() => model.step(x, states, t) as unknown as tf.TensorContainer) as unknown as Step;
      tf.dispose(held);
      held = [out.y, ...stateTensors(out.states)];
      const y = (await out.y.data()) as Float32Array;
      const points = rowsOf(y, y.length / SAMPLES).map((row) => sampleMdnPoint(row, cfg.mixtures, cfg.sampleBias, rng));
      points.forEach((p, i) => sequences[i].push(...p));
      states = out.states;
      x = tf.tensor2d(points.flat(), [SAMPLES, 3]);
      held.push(x);
    }
  } finally {
    tf.dispose(held); // the last step's, or whatever a failed read left
  }
  return sequences;
}

/** The report's pictures: samples from the network, and the first test sequences with the NLL of each point. */
async function artifacts(model: HandwritingModel, cfg: HandwritingConfig, data: StrokeData) {
  const std = (data.meta?.std ?? [1, 1]) as [number, number];
  const samples: StrokeSamplesArtifact = {
    std,
    bias: cfg.sampleBias,
    sequences: await sample(model, cfg, meanLength(data.train)),
  };
  const shown = Int32Array.from({ length: Math.min(NLL_SEQUENCES, data.test.count) }, (_, i) => i);
  let rows: Int32Array = new Int32Array(0);
  const perPoint = tf.tidy(() => {
    const scored = batchNll(model, cfg.mixtures, data.test, shown, false);
    rows = scored.batch.rows;
    return scored.perPoint;
  });
  const values = (await perPoint.data().finally(() => perPoint.dispose())) as Float32Array;
  const one = pickSequences(data.test, shown);
  const nll: StrokeNllArtifact = {
    std,
    sequences: Array.from(shown, (_, i) => Array.from(one.values.subarray(one.offsets[i] * 3, one.offsets[i + 1] * 3))),
    nll: Array.from(shown, (_, i) => Array.from({ length: one.offsets[i + 1] - one.offsets[i] }, () => 0)),
  };
  // Row t * batch + i is point t of sequence i.
  rows.forEach((row, k) => (nll.nll[row % shown.length][Math.floor(row / shown.length)] = values[k]));
  return { samples, nll };
}

const dataShape = (data: StrokeData): DataShape => ({
  shape: [Math.max(longest(data.train), longest(data.test)), data.train.width],
});

function createHandwriting(config: Readonly<RunConfig>, data: StrokeData): Task {
  const cfg = config.model as HandwritingConfig;
  const model = buildModel<HandwritingModel>({ config: cfg, data: dataShape(data), seed: config.train.seed });
  return {
    parameters: model.parameters(),
    trainCount: data.train.count,
    objective: (batch) => tf.div(batchNll(model, cfg.mixtures, data.train, batch, true).sum, batch.length) as tf.Scalar,
    forward() {}, // no batch norm: no statistics pass
    perExample: (value) => value,
    lossColumn: handwriting.lossColumn,
    evaluate: (yieldPoint) => evaluate(model, cfg.mixtures, data.test, yieldPoint),
    artifacts: () => artifacts(model, cfg, data),
    dispose: () => disposeModule(model),
  };
}

/** The run's stroke sequences (data.source hanzi, the one stroke source). */
function load(data: DataConfig): StrokeData {
  return loadHanzi({
    train: data.train,
    test: data.test,
    seed: data.seed,
    charsPerSequence: data.charsPerSequence as number,
  });
}

export const implementation: TaskImplementation<StrokeData> = {
  load,
  create: createHandwriting,
  footprint: (_config, data) => ({ data: dataShape(data), deviceValues: 0, evalBatch: EVAL_BATCH }),
};
