// Benchmark cases, in one process: ours (fast paths on) against the same computation written plainly with tfjs
// ops and autodiff (composite, fast paths off: what a user would write), and against tf.layers (stock: what a
// user of tf.layers gets). Fast paths off means stock tfjs kernels with our correctness fixes, which are never
// turned off: where a stock kernel computes a wrong result (wasm's transposed or batched fused products with a bias
// or activation, src/backend/kernels/wasm-fixes.ts) both stock and composite run the fixed one.
import * as tf from '@tensorflow/tfjs';
import { disableFastPaths, enableFastPaths, setFusedCells } from '../backend/fast';
import { rngFor } from '../data/rng';
import { meanNll } from '../metrics/classification';
import { mlpSchema } from '../models/mlp/spec';
import { buildModel } from '../models/registry';
import type { RnnConfig } from '../models/rnn/spec';
import type { Classifier } from '../models/types';
import { BN_MOMENTUM } from '../norm/batch/spec';
import type { NormKind, NormSettings } from '../norm/catalog';
import { buildNorm } from '../norm/registry';
import { NORM_DEFAULTS } from '../norm/spec';
import { runConfigSchema } from '../tasks/schema';
import { Adam } from '../train/adam';
import { ADAM_DEFAULTS } from '../train/spec';
import { disposeModule } from '../util/module';
import { variableFrom } from '../util/variables';
import { interleavedMediansMs, medianMs, type Repeats, type Timed } from './timing';

/** The norm cases: layer norm, training-mode batch norm, RMSNorm and group norm (GN_GROUPS groups) on [n, d]. */
export type NormCase = 'ln' | 'bn' | 'rms' | 'gn';
/** Group norm's groups in the bench (1000 units: 10 groups of 100; Wu & He's 32 does not divide 1000). */
export const GN_GROUPS = 10;
const NORM_OF: Record<NormCase, NormKind> = { ln: 'layer', bn: 'batch', rms: 'rms', gn: 'group' };

export interface BenchRow {
  case: NormCase | 'mlp_step' | 'cell_step' | 'draw_step';
  shape?: number[];
  batch?: number;
  /** cell_step: the recurrent cell. */
  cell?: 'lstm' | 'gru';
  norm?: NormKind;
  ours_ms: number;
  /**
   * ln, bn, mlp_step: the same computation with plain tfjs ops and autodiff, fast paths off; cell_step, draw_step:
   * the cells op by op (LN_REPRO_FUSED_CELLS=0), every other fast path on. Timed in alternation with ours.
   */
  composite_ms?: number;
  /** composite_ms / ours_ms: how many times faster ours is than the plain version. */
  ratio_composite?: number;
  /** ln, bn, mlp_step (none, layer, batch): tf.layers' equivalent (it has no RMSNorm or group norm). */
  stock_ms?: number;
  /** rms: our layer norm on the same input, timed in the same alternation; ln_ms / ours_ms (above 1: RMS is faster). */
  ln_ms?: number;
  ratio_ln?: number;
  /** stock_ms / ours_ms: how many times faster ours is than tf.layers. */
  ratio?: number;
  /** mlp_step only: the step's eight matrix products alone, untransposed and on the fastest path. */
  floor_ms?: number;
  /** cell_step, draw_step: the same step without a norm (ours, timed in the same alternation), and ours_ms / plain_ms. */
  plain_ms?: number;
  overhead?: number;
  /** Kernels one step or call dispatches, Identity and Reshape not counted (kernels.ts). */
  kernels?: number;
  /** mlp_step: the same with every fast path off; cell_step, draw_step: with the cells op by op. */
  kernels_composite?: number;
  /** cell_step, draw_step: the step without a norm. */
  kernels_plain?: number;
}

/** The schema's defaults: the same settings on both sides of every comparison. */
const EPSILON = NORM_DEFAULTS.epsilon;
const MOMENTUM = BN_MOMENTUM;
const ADAM = ADAM_DEFAULTS;
const HIDDEN = [1000, 1000];
const INPUTS = 784;
const CLASSES = 10;

export function random(shape: number[], seed: number): tf.Tensor {
  const rng = rngFor(seed, 'bench');
  const n = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(
    Float32Array.from({ length: n }, () => 2 * rng() - 1),
    shape,
  );
}

/**
 * A call timed right after an untimed call of its own, as in training, where a step follows a step: otherwise the
 * composite call before it evicts its data from the CPU caches (a batch-4 MLP step of ours took 13 ms instead of
 * 9.4 timed straight after a composite step, the floor 3.2 ms instead of 2.5; 10.4-11 and 3.0 with this).
 */
function warm(setup: () => void, run: () => void): Timed {
  return { setup: () => (setup(), run()), run };
}

function row(base: Omit<BenchRow, 'ratio' | 'ratio_composite'>): BenchRow {
  const composite = base.composite_ms === undefined ? {} : { ratio_composite: base.composite_ms / base.ours_ms };
  const stock = base.stock_ms === undefined ? {} : { ratio: base.stock_ms / base.ours_ms };
  return { ...base, ...composite, ...stock };
}

/**
 * Layer norm (axis 1) or training-mode batch norm (axis 0, with running averages moved as tf.layers and our
 * bnStats running do) as a user would write it: tf.moments and elementwise ops, gradients by autodiff.
 */
export function compositeNorm(axis: 0 | 1, units: number) {
  const gain = variableFrom('bench/composite/gain', () => tf.ones<tf.Rank.R1>([units]));
  const bias = variableFrom('bench/composite/bias', () => tf.zeros<tf.Rank.R1>([units]));
  const running = [
    variableFrom('bench/composite/mean', () => tf.zeros([units]), false),
    variableFrom('bench/composite/variance', () => tf.ones([units]), false),
  ];
  const apply = (x: tf.Tensor) => {
    const { mean, variance } = tf.moments(x, axis, true);
    if (axis === 0) {
      const n = x.shape[0];
      running[0].assign(tf.add(tf.mul(running[0], MOMENTUM), tf.mul(tf.reshape(mean, [-1]), 1 - MOMENTUM)));
      running[1].assign(
        tf.add(tf.mul(running[1], MOMENTUM), tf.mul(tf.reshape(variance, [-1]), (1 - MOMENTUM) * (n / (n - 1)))),
      );
    }
    return tf.add(tf.mul(tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, EPSILON))), gain), bias);
  };
  return { parameters: [gain, bias], apply, dispose: () => tf.dispose([gain, bias, ...running]) };
}

/** RMSNorm or group norm as a user would write them with tfjs ops, gradients by autodiff. */
function compositeOther(kind: 'rms' | 'gn', units: number) {
  const gain = variableFrom('bench/composite/gain', () => tf.ones<tf.Rank.R1>([units]));
  const bias = variableFrom('bench/composite/bias', () => tf.zeros<tf.Rank.R1>([units]));
  const apply = (x: tf.Tensor) => {
    if (kind === 'rms')
      return tf.add(tf.mul(tf.mul(x, tf.rsqrt(tf.add(tf.mean(tf.square(x), 1, true), EPSILON))), gain), bias);
    const g = tf.reshape(x, [x.shape[0], GN_GROUPS, -1]);
    const { mean, variance } = tf.moments(g, 2, true);
    const xhat = tf.reshape(tf.mul(tf.sub(g, mean), tf.rsqrt(tf.add(variance, EPSILON))), x.shape);
    return tf.add(tf.mul(xhat, gain), bias);
  };
  return { parameters: [gain, bias], apply, dispose: () => tf.dispose([gain, bias]) };
}

/** A case's plain tfjs version. */
export const compositeOf = (kind: NormCase, units: number) =>
  kind === 'ln' || kind === 'bn' ? compositeNorm(kind === 'ln' ? 1 : 0, units) : compositeOther(kind, units);

/** Our norm layer of a case (batch norm with running averages, as tf.layers keeps them: the same work per call). */
export function oursNorm(kind: NormCase, units: number) {
  const settings = {
    ...NORM_DEFAULTS,
    norm: NORM_OF[kind],
    bnStats: 'running',
    bnMomentum: MOMENTUM,
    groups: GN_GROUPS,
  } as NormSettings;
  return buildNorm(settings, { name: `bench-${kind}`, units })!;
}

type Backprop = (f: () => tf.Tensor, wrt: tf.Tensor[]) => void;

/** The median time of tf.layers' layer or batch norm, forward and backward, fast paths off. */
async function stockNormMs(kind: 'ln' | 'bn', x: tf.Variable, backprop: Backprop, repeats: Repeats): Promise<number> {
  disableFastPaths();
  const stock =
    kind === 'ln'
      ? tf.layers.layerNormalization({ axis: -1, epsilon: EPSILON })
      : tf.layers.batchNormalization({ axis: -1, epsilon: EPSILON, momentum: MOMENTUM });
  tf.tidy(() => void stock.apply(x, { training: true })); // builds gamma and beta
  const stockVars = [x, ...stock.trainableWeights.map((w) => w.read() as tf.Variable)];
  const ms = await medianMs(() => backprop(() => stock.apply(x, { training: true }) as tf.Tensor, stockVars), repeats);
  stock.dispose();
  return ms;
}

/**
 * Forward and backward (input, gain, bias) of one norm on [n, d]: ours, its composite version and tf.layers' (layer and
 * batch norm) or, for RMSNorm, our layer norm, timed in one alternation.
 */
export async function normCase(kind: NormCase, shape: [number, number], repeats: Repeats): Promise<BenchRow> {
  const x = variableFrom('bench/x', () => random(shape, 1));
  const dy = random(shape, 2); // the upstream gradient, handed straight to backprop (no loss op to time)
  const backprop: Backprop = (f, wrt) => tf.tidy(() => void tf.grads(() => f())(wrt, dy));
  const stockMs = kind === 'ln' || kind === 'bn' ? await stockNormMs(kind, x, backprop, repeats) : undefined;
  const ours = oursNorm(kind, shape[1]);
  const composite = compositeOf(kind, shape[1]);
  const layer = kind === 'rms' ? oursNorm('ln', shape[1]) : undefined;
  const timed = [
    warm(enableFastPaths, () =>
      backprop(() => ours.apply(x as tf.Tensor as tf.Tensor2D, true), [x, ...ours.parameters()]),
    ),
    warm(disableFastPaths, () => backprop(() => composite.apply(x), [x, ...composite.parameters])),
  ];
  if (layer)
    timed.push(
      warm(enableFastPaths, () =>
        backprop(() => layer.apply(x as tf.Tensor as tf.Tensor2D, true), [x, ...layer.parameters()]),
      ),
    );
  const [oursMs, compositeMs, lnMs] = await interleavedMediansMs(timed, repeats);
  enableFastPaths();
  composite.dispose();
  disposeModule(ours);
  if (layer) disposeModule(layer);
  tf.dispose([x, dy]);
  const vsLayer = lnMs === undefined ? {} : { ln_ms: lnMs, ratio_ln: lnMs / oursMs };
  return row({ case: kind, shape, ours_ms: oursMs, composite_ms: compositeMs, stock_ms: stockMs, ...vsLayer });
}

/** The norms tf.layers has (none, layer, batch): the MLP step's stock comparison. */
const STOCK_NORMS: readonly NormKind[] = ['none', 'layer', 'batch'];

/** The same MLP from stock tf.layers: dense (bias only without a norm) -> norm -> relu, then dense. */
function stockMlp(norm: NormKind): tf.Sequential {
  const model = tf.sequential();
  HIDDEN.forEach((units, i) => {
    model.add(tf.layers.dense({ units, useBias: norm === 'none', ...(i === 0 ? { inputShape: [INPUTS] } : {}) }));
    if (norm === 'layer') model.add(tf.layers.layerNormalization({ epsilon: EPSILON }));
    if (norm === 'batch') model.add(tf.layers.batchNormalization({ epsilon: EPSILON, momentum: MOMENTUM }));
    model.add(tf.layers.activation({ activation: 'relu' }));
  });
  model.add(tf.layers.dense({ units: CLASSES }));
  return model;
}

/** The eight products of one step (3 forward, 3 weight gradients, 2 input gradients), operands pre-transposed. */
function floorProducts(batch: number): { run: () => void; dispose: () => void } {
  const [h1w, h2w] = HIDDEN;
  const t = (shape: number[], seed: number) => random(shape, 100 + seed);
  const ops: [tf.Tensor, tf.Tensor][] = [
    [t([batch, INPUTS], 1), t([INPUTS, h1w], 2)], // x W1
    [t([batch, h1w], 3), t([h1w, h2w], 4)], // h1 W2
    [t([batch, h2w], 5), t([h2w, CLASSES], 6)], // h2 W3
    [t([h2w, batch], 7), t([batch, CLASSES], 8)], // h2^T dy3
    [t([batch, CLASSES], 9), t([CLASSES, h2w], 10)], // dy3 W3^T
    [t([h1w, batch], 11), t([batch, h2w], 12)], // h1^T dy2
    [t([batch, h2w], 13), t([h2w, h1w], 14)], // dy2 W2^T
    [t([INPUTS, batch], 15), t([batch, h1w], 16)], // x^T dy1
  ];
  return {
    run: () => tf.tidy(() => ops.forEach(([a, b]) => void tf.matMul(a, b))),
    dispose: () => tf.dispose(ops.flat()),
  };
}

/** One-hot labels [batch, CLASSES], example i of class i mod CLASSES. */
export function cyclicLabels(batch: number): tf.Tensor2D {
  const classes = Array.from({ length: batch }, (_, i) => i % CLASSES);
  return tf.tidy(() => tf.oneHot(tf.tensor1d(classes, 'int32'), CLASSES) as tf.Tensor2D);
}

/** The median time of the MLP's training step from stock tf.layers and tf.train.adam, fast paths off. */
async function stockMlpStepMs(norm: NormKind, x: tf.Tensor, y: tf.Tensor2D, repeats: Repeats): Promise<number> {
  disableFastPaths();
  const stock = stockMlp(norm);
  const stockOpt = tf.train.adam(ADAM.learningRate, ADAM.beta1, ADAM.beta2, ADAM.epsilon);
  const stockVars = stock.trainableWeights.map((w) => w.read() as tf.Variable);
  const stockLoss = () =>
    tf.losses.softmaxCrossEntropy(y, stock.apply(x, { training: true }) as tf.Tensor) as tf.Scalar;
  const stockMs = await medianMs(() => tf.tidy(() => void stockOpt.minimize(stockLoss, false, stockVars)), repeats);
  stock.dispose();
  stockOpt.dispose();
  return stockMs;
}

/** Our MLP (norm running averages as tf.layers keeps them), seed 1. */
export function oursMlp(norm: NormKind): Classifier {
  return buildModel<Classifier>({
    config: mlpSchema.parse({
      kind: 'mlp',
      hidden: HIDDEN,
      norm,
      epsilon: EPSILON,
      groups: GN_GROUPS,
      bnStats: 'running',
      bnMomentum: MOMENTUM,
    }),
    data: { shape: [INPUTS], classes: CLASSES },
    seed: 1,
  });
}

/** Median times of our MLP's step with fast paths on and off, and of the step's matrix products alone. */
async function oursMlpStepMs(
  norm: NormKind,
  x: tf.Tensor,
  y: tf.Tensor2D,
  batch: number,
  repeats: Repeats,
): Promise<number[]> {
  const model = oursMlp(norm);
  const adam = new Adam({ learningRate: ADAM.learningRate });
  const products = floorProducts(batch);
  const step = () => adam.minimize(() => meanNll(model.logits(x, true), y), model.parameters()).dispose();
  const medians = await interleavedMediansMs(
    [
      warm(enableFastPaths, step),
      // The same model and optimizer with every fast path off: composite norms and Adam, stock matrix products
      // (with the correctness fixes, which stay on).
      warm(disableFastPaths, step),
      // Untransposed products already take XNNPACK: the floor is the stock kernel at its best.
      warm(disableFastPaths, products.run),
    ],
    repeats,
  );
  enableFastPaths();
  adam.dispose();
  disposeModule(model);
  products.dispose();
  return medians;
}

/** One training step (forward, backward, Adam update) of the 784-1000-1000-10 MLP. */
export async function mlpStepCase(norm: NormKind, batch: number, repeats: Repeats): Promise<BenchRow> {
  const x = random([batch, INPUTS], 3);
  const y = cyclicLabels(batch);
  const stockMs = STOCK_NORMS.includes(norm) ? await stockMlpStepMs(norm, x, y, repeats) : undefined;
  const [oursMs, compositeMs, floor] = await oursMlpStepMs(norm, x, y, batch, repeats);
  tf.dispose([x, y]);
  return row({
    case: 'mlp_step',
    batch,
    norm,
    ours_ms: oursMs,
    composite_ms: compositeMs,
    stock_ms: stockMs,
    floor_ms: floor,
  });
}

/** The 100-unit LSTM or GRU classifier over 28 rows of 28 pixels, seed 1. */
export function cellModel(cell: 'lstm' | 'gru', norm: NormKind): Classifier {
  const config = runConfigSchema.parse({
    name: 'bench',
    data: { train: 128, test: 1, view: 'rows' },
    model: { kind: 'rnn', cell, hidden: 100, norm },
  }).model as RnnConfig;
  return buildModel<Classifier>({ config, data: { shape: [28, 28], classes: CLASSES }, seed: 1 });
}

/** The norms a cell is benchmarked with (batch norm is the LSTM's only: BN-LSTM; RMSNorm where layer norm goes). */
export const cellNorms = (cell: 'lstm' | 'gru'): NormKind[] =>
  cell === 'lstm' ? ['none', 'layer', 'batch', 'rms'] : ['none', 'layer', 'rms'];

/**
 * One training step (28 steps forward, backward through time, Adam) of a 100-unit LSTM or GRU on 28-pixel rows, for
 * each norm, with the fused cells and op by op (every other fast path on), all timed in one alternation so that the
 * ratios between them hold on a shared machine. Kernels are counted separately (kernels.ts).
 */
export async function cellStepCases(cell: 'lstm' | 'gru', batch: number, repeats: Repeats): Promise<BenchRow[]> {
  enableFastPaths();
  const norms = cellNorms(cell);
  const x = random([batch, 28 * 28], 5);
  const y = cyclicLabels(batch);
  const models = norms.map((norm) => cellModel(cell, norm));
  const adams = norms.map(() => new Adam({ learningRate: ADAM.learningRate }));
  const calls = models.flatMap((model, k) => {
    const step = () => adams[k].minimize(() => meanNll(model.logits(x, true), y), model.parameters()).dispose();
    return [warm(() => setFusedCells(true), step), warm(() => setFusedCells(false), step)];
  });
  const ms = await interleavedMediansMs(calls, repeats);
  setFusedCells(true);
  adams.forEach((a) => a.dispose());
  models.forEach(disposeModule);
  tf.dispose([x, y]);
  const plain = ms[0];
  return norms.map((norm, k) =>
    row({
      case: 'cell_step',
      cell,
      batch,
      norm,
      ours_ms: ms[2 * k],
      composite_ms: ms[2 * k + 1],
      plain_ms: plain,
      overhead: ms[2 * k] / plain,
    }),
  );
}
