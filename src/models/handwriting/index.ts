// Graves' (2013, section 4) handwriting prediction network: LSTM layers over pen offsets x_t = (dx, dy, pen-up),
// layer 1 reading x_t, layer n reading [x_t, h^(n-1)_t] (skip connections from the input), and the output y_t, the
// parameters of the next point's mixture density (src/metrics/mdn.ts), a linear map of every layer's h_t (skip
// connections to the output). Whole sequences run through the fused cells (one kernel per layer and step).
import * as tf from '@tensorflow/tfjs';
import { rngFor } from '../../data/rng';
import { mdnWidth } from '../../metrics/mdn';
import { normSpec } from '../../norm/catalog';
import { moduleOf, type Module } from '../../util/module';
import { CELLS } from '../cells/catalog';
import { createCell } from '../cells/registry';
import type { Cell, CellState } from '../cells/types';
import { runSequenceSteps } from '../cells/unroll';
import { denseKernel, zerosVariable } from '../init';
import { gatherRows } from '../rows';
import type { BuildOptions, DataShape, ModelEstimate, ModelImplementation } from '../types';
import type { HandwritingConfig } from './spec';

/** Values per point: dx, dy, pen-up. */
export const POINT_WIDTH = 3;

export interface HandwritingModel extends Module {
  /** Parameters by role (`lstm0/W_x`, `output/kernel`, ...): tests map them onto a float64 reference. */
  readonly params: Record<string, tf.Variable>;
  /** Each layer's cell, bottom first. */
  readonly cells: readonly Cell[];
  /**
   * The mixture-density outputs for inputs xs [steps * batch, 3] (step-major) at the step-major `rows` given (a
   * padded batch's real points), [rows, mdnWidth]; at every row, [steps * batch, mdnWidth], without them.
   */
  outputs(xs: tf.Tensor2D, steps: number, batch: number, training: boolean, rows?: tf.Tensor1D): tf.Tensor2D;
  /** Every layer's initial state. */
  initial(batch: number): CellState[];
  /** One step of generating: x_t [batch, 3] and the layers' states to y_t [batch, mdnWidth] and the next states. */
  step(x: tf.Tensor2D, states: readonly CellState[], t: number): { y: tf.Tensor2D; states: CellState[] };
}

/** Inputs of layer n: the point, and below layer 0 the layer beneath's h. */
const layerInputs = (hidden: readonly number[], n: number) => POINT_WIDTH + (n === 0 ? 0 : hidden[n - 1]);

/** The LSTM of layer n (bottom first), its own weight stream per layer. */
function layerCell(config: HandwritingConfig, n: number, seed: number): Cell {
  return createCell({
    config: { ...config, cell: 'lstm', hidden: config.hidden[n] },
    inputs: layerInputs(config.hidden, n),
    rng: rngFor(seed, 'init', `lstm${n}`),
    name: `handwriting/lstm${n}`,
    seed,
  });
}

export function buildHandwriting({ config, seed }: Pick<BuildOptions<HandwritingConfig>, 'config' | 'seed'>) {
  const cells = config.hidden.map((_, n) => layerCell(config, n, seed));
  const rng = rngFor(seed, 'init', 'output');
  const width = mdnWidth(config.mixtures);
  const total = config.hidden.reduce((a, b) => a + b, 0);
  const kernel = denseKernel('handwriting/output/kernel', total, width, rng);
  const bias = zerosVariable('handwriting/output/bias', width);
  const output = (hs: tf.Tensor2D[], rows?: tf.Tensor1D) => {
    const all = tf.concat(hs, 1) as tf.Tensor2D;
    return tf.add(tf.matMul(rows ? gatherRows(all, rows) : all, kernel), bias) as tf.Tensor2D;
  };
  const below = (x: tf.Tensor2D, hs: tf.Tensor2D[], n: number) => (n === 0 ? x : tf.concat([x, hs[n - 1]], 1));
  return {
    ...moduleOf([...cells, kernel, bias]),
    params: {
      ...Object.fromEntries(cells.flatMap((c, n) => Object.entries(c.params).map(([k, v]) => [`lstm${n}/${k}`, v]))),
      'output/kernel': kernel,
      'output/bias': bias,
    },
    cells,
    outputs(xs, steps, batch, training, rows) {
      const hs: tf.Tensor2D[] = [];
      cells.forEach((cell, n) => hs.push(runSequenceSteps(cell, below(xs, hs, n), steps, batch, training)));
      return output(hs, rows);
    },
    initial: (batch) => cells.map((c) => c.initial(batch)),
    step(x, states, t) {
      const next: CellState[] = [];
      const hs = () => next.map((s) => s.h);
      cells.forEach((cell, n) => next.push(cell.step(below(x, hs(), n), states[n], t, false)));
      return { y: output(hs()), states: next };
    },
  } satisfies HandwritingModel;
}

/**
 * The LSTMs and the output map. Per step and example: each cell's saved values, the layers' inputs (the point
 * and the h beneath, concatenated), every h concatenated for the output, and the mixture density's outputs with the
 * loss's temporaries (some 30 values per mixture component). A forward pass without gradients keeps every layer's
 * h of every step (the output reads them all) and the output's temporaries. data.shape: [longest sequence, 3].
 */
function estimateHandwriting(config: HandwritingConfig, data: DataShape): ModelEstimate {
  const [steps] = data.shape;
  const lstm = CELLS.lstm;
  const layers = config.hidden.map((H, n) => ({ H, inputs: layerInputs(config.hidden, n) }));
  const total = config.hidden.reduce((a, b) => a + b, 0);
  const width = mdnWidth(config.mixtures);
  const parameters =
    layers.reduce((s, l) => s + lstm.parameters(l.inputs, l.H, normSpec(config.norm)), 0) + (total + 1) * width;
  const cells = layers.reduce((s, l) => s + lstm.stepUnits(l.inputs, l.H) + l.inputs, 0);
  const loss = 2 * width + 30 * config.mixtures;
  return {
    parameters,
    units: steps * (cells + total + loss),
    widest: steps * (2 * total + loss),
    // Its backward pass runs through time step by step, so a training step holds fewer copies of these values than
    // a feed-forward stack's 8: measured on cpu (one step, per step and sequence), with the fused cells 1.75 times
    // them at hidden [8, 8] and 3 mixtures, 1.67 at [64, 64] and 10, 1.60 at Graves' [400, 400, 400] and 20 on
    // three-character lines (1.22 GB at batch 8). Op by op (LN_REPRO_FUSED_CELLS=0, webgpu) 3.0 times them at the
    // smallest size, but more with size (4.1, and 18.8 at [200, 200, 200]): every step's weight gradients are
    // kept until summed, steps x parameters, which no model kind's estimate counts yet.
    trainCopies: 4,
  };
}

export const implementation: ModelImplementation<HandwritingConfig, HandwritingModel> = {
  build: buildHandwriting,
  estimate: estimateHandwriting,
};
