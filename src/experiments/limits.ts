// What a run will need, estimated before anything trains: its parameters, and the memory of parameters,
// gradients, Adam's moments, activations at its batch sizes and its data on the device, against what the
// backend can address. A run that cannot fit is refused with the estimate (exit 2), instead of dying deep in
// tfjs ("Invalid typed array length") or after gigabytes of allocation.
import { totalmem } from 'node:os';
import type { RunConfig } from '../config/schema';
import { IMAGE_SIDE, PIXELS } from '../data/types';
import { WORDS } from '../data/strips';

const BYTES = 4; // float32
/** Live copies of every parameter during a step: weights, gradient, Adam's m and v, and their next versions. */
const PARAMETER_COPIES = 6;
/**
 * Tensors kept per unit of activation: in a training step (pre-activation, norm output, activation and their
 * gradients), in evaluation, and in batch norm's population pass (one layer or step at a time; measured: the
 * 32-64-channel convnet's pass over 5,000 images took 1.75 GB of wasm heap, 1.15x its units at that batch).
 */
const TRAIN_COPIES = 8;
const EVAL_COPIES = 2;
const POPULATION_COPIES = 1.25;
/** tfjs-backend-wasm's memory is 32-bit: a process can address at most 4 GiB. */
export const WASM_LIMIT = 4 * 1024 ** 3;
const EVAL_BATCH = 1000;

export interface RunEstimate {
  parameters: number;
  /** Activations per example of the widest pass (units, summed over layers and steps). */
  activationsPerExample: number;
  bytes: number;
}

/** A recurrent cell's weights, biases and norm gains and biases (cells.ts). */
function cellParameters(cell: 'lstm' | 'gru', inputs: number, H: number, norm: string): number {
  if (cell === 'lstm') {
    // W_x, W_h, b; layer norm: gain and bias on W_h h, W_x x (4H each) and c (H); batch norm: gains, c's bias.
    const norms = norm === 'layer' ? 18 * H : norm === 'batch' ? 10 * H : 0;
    return (inputs + H) * 4 * H + 4 * H + norms;
  }
  // W_x, W_h (to z, r), W, U; biases 3H, or the layer norms' gains and biases in their place.
  return (inputs + H) * 3 * H + (norm === 'layer' ? 12 * H : 3 * H);
}

/** Parameters and activation units per example of the model a config builds (dense parts; small vectors counted roughly). */
function shape(config: Readonly<RunConfig>): { parameters: number; units: number } {
  const m = config.model;
  if (m.kind === 'mlp') {
    const widths = [PIXELS, ...m.hidden, 10];
    let parameters = 0;
    for (let i = 1; i < widths.length; i++) parameters += widths[i - 1] * widths[i] + 2 * widths[i];
    return { parameters, units: m.hidden.reduce((a, b) => a + b, 0) + PIXELS };
  }
  if (m.kind === 'conv') {
    let [side, channels, parameters, units] = [IMAGE_SIDE, 1, 0, PIXELS];
    for (const out of m.channels) {
      parameters += m.kernelSize * m.kernelSize * channels * out + 2 * out;
      units += side * side * out * 2; // the conv output, and the kernel's unfolded input (im2col) of that size
      [side, channels] = [Math.floor(side / 2), out];
    }
    return { parameters: parameters + side * side * channels * 10, units };
  }
  if (m.kind === 'rnn') {
    const [steps, inputs] = config.data.view === 'pixels' ? [PIXELS, 1] : [IMAGE_SIDE, IMAGE_SIDE];
    return { parameters: cellParameters(m.cell, inputs, m.hidden, m.norm) + (m.hidden + 1) * 10, units: steps * (inputs + 6 * m.hidden) };
  }
  const pixels = PIXELS * (config.data.maxDigits ?? 3);
  const widths = [pixels, ...m.imageHidden, m.embedDim];
  let parameters = WORDS.length * m.wordDim + cellParameters(m.cell, m.wordDim, m.embedDim, m.norm);
  for (let i = 1; i < widths.length; i++) parameters += widths[i - 1] * widths[i] + widths[i];
  return { parameters, units: pixels + widths.slice(1).reduce((a, b) => a + b, 0) + (config.data.maxDigits ?? 3) * 6 * m.embedDim };
}

export function estimateRun(config: Readonly<RunConfig>): RunEstimate {
  const { parameters, units } = shape(config);
  // The widest of a training step, an evaluation batch and batch norm's population pass (one after another).
  const population = config.model.norm === 'batch' ? Math.min(config.model.bnStatsBatch, config.data.train) : 0;
  const peak = Math.max(TRAIN_COPIES * config.train.batchSize, EVAL_COPIES * Math.min(EVAL_BATCH, config.data.test), POPULATION_COPIES * population) * units;
  const pixels = config.data.view === 'strips' ? PIXELS * (config.data.maxDigits ?? 3) : PIXELS;
  const data = (config.data.train + config.data.test) * pixels;
  const floats = PARAMETER_COPIES * parameters + peak + data;
  return { parameters, activationsPerExample: units, bytes: BYTES * floats };
}

/** What a backend can hold: the wasm backend 4 GiB, any backend at most the machine's memory. */
export function memoryLimit(backend: string, machine = totalmem()): number {
  return backend === 'wasm' ? Math.min(WASM_LIMIT, machine) : machine;
}

export function formatBytes(bytes: number): string {
  return bytes >= 1024 ** 3 ? `${(bytes / 1024 ** 3).toFixed(1)} GB` : `${Math.max(1, Math.round(bytes / 1024 ** 2))} MB`;
}
