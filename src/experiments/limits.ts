// What a run will need, estimated before anything trains: its parameters, and the memory of parameters,
// gradients, Adam's moments, activations at its batch sizes and its data on the device, against what the
// backend can address. A run that cannot fit is refused with the estimate (exit 2), instead of dying deep in
// tfjs ("Invalid typed array length") or after gigabytes of allocation.
import { totalmem } from 'node:os';
import {
  type ConvConfig,
  type DataConfig,
  type DrawConfig,
  type MlpConfig,
  type RetrievalConfig,
  type RnnConfig,
  type RunConfig,
} from '../config/schema';
import { IMAGE_SIDE, PIXELS } from '../data/types';
import { WORDS } from '../data/strips';
import { drawReadSize } from '../models/draw';

const BYTES = 4; // float32
/** Live copies of every parameter during a step: weights, gradient, Adam's m and v, and their next versions. */
const PARAMETER_COPIES = 6;
/**
 * Copies kept of each activation: in a training step, of every layer and step at once (pre-activation, norm
 * output, activation and their gradients); without gradients (evaluation, batch norm's population pass) models
 * free each layer's or step's tensors as they go, so only the widest layer counts. Measured: the 32-64-channel
 * convnet's population pass over 5,000 images took 1.75 GB of wasm heap, 1.07 times its widest block's tensors.
 */
const TRAIN_COPIES = 8;
const FORWARD_COPIES = 1.25;
/** tfjs-backend-wasm's memory is 32-bit: a process can address at most 4 GiB. */
const WASM_LIMIT = 4 * 1024 ** 3;
/** Test examples evaluated at once (tasks/classification.ts). */
const EVAL_BATCH = 1000;

export interface RunEstimate {
  parameters: number;
  /** Activations per example of a training step (units, summed over layers and steps). */
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

/**
 * Parameters, activation units per example of a training step (all layers and steps), and of the widest layer
 * or step of a forward pass without gradients.
 */
interface Shape {
  parameters: number;
  units: number;
  widest: number;
}

/** The shape of a multilayer perceptron over the image's pixels. */
function mlpShape(m: MlpConfig): Shape {
  const widths = [PIXELS, ...m.hidden, 10];
  let parameters = 0;
  for (let i = 1; i < widths.length; i++) parameters += widths[i - 1] * widths[i] + 2 * widths[i];
  const widest = Math.max(...widths.slice(1).map((w, i) => widths[i] + 3 * w));
  return { parameters, units: m.hidden.reduce((a, b) => a + b, 0) + PIXELS, widest };
}

/** The shape of a convnet: each block halves the image's side. */
function convShape(m: ConvConfig): Shape {
  let [side, channels, parameters, units, widest] = [IMAGE_SIDE, 1, 0, PIXELS, 0];
  for (const out of m.channels) {
    parameters += m.kernelSize * m.kernelSize * channels * out + 2 * out;
    const input = side * side * channels;
    units += 2 * side * side * out;
    widest = Math.max(widest, input + 3 * side * side * out); // conv output, norm output, activation
    [side, channels] = [Math.floor(side / 2), out];
  }
  return { parameters: parameters + side * side * channels * 10, units, widest };
}

/** The shape of a recurrent classifier reading the image pixel by pixel or row by row. */
function rnnShape(m: RnnConfig, data: DataConfig): Shape {
  const [steps, inputs] = data.view === 'pixels' ? [PIXELS, 1] : [IMAGE_SIDE, IMAGE_SIDE];
  const step = inputs + 6 * m.hidden;
  return {
    parameters: cellParameters(m.cell, inputs, m.hidden, m.norm) + (m.hidden + 1) * 10,
    units: steps * step,
    widest: steps * inputs + step,
  };
}

/** Digits side by side in one image: a strip's widest (retrieval always reads strips), else one. */
const digitsPerImage = (data: DataConfig) => (data.view === 'strips' ? data.maxDigits : 1);

/** The shape of the retrieval model: an image tower and a recurrent encoder of the digit words. */
function retrievalShape(m: RetrievalConfig, data: DataConfig): Shape {
  const words = digitsPerImage(data);
  const pixels = PIXELS * words;
  const widths = [pixels, ...m.imageHidden, m.embedDim];
  let parameters = WORDS.length * m.wordDim + cellParameters(m.cell, m.wordDim, m.embedDim, m.norm);
  for (let i = 1; i < widths.length; i++) parameters += widths[i - 1] * widths[i] + widths[i];
  const step = m.wordDim + 6 * m.embedDim;
  return {
    parameters,
    units: widths.reduce((a, b) => a + b, 0) + words * step,
    widest: Math.max(...widths) * 2 + step,
  };
}

/** The shape of DRAW (models/draw.ts): two LSTMs, the posterior's and the write's maps, T steps of each. */
function drawShape(m: DrawConfig): Shape {
  const H = m.hidden;
  const read = drawReadSize(m);
  const gaussian = m.attention === 'gaussian';
  const write = gaussian ? (H + 1) * (m.writeSize ** 2 + 5) + (H + 1) * 5 : (H + 1) * PIXELS;
  const parameters =
    cellParameters('lstm', read + H, H, m.norm) +
    cellParameters('lstm', m.latent, H, m.norm) +
    2 * (H + 1) * m.latent +
    write;
  // Per step: the read, both cells' inputs, gates and states, the posterior and z, the canvas and its write.
  const step = read + 2 * (H + 6 * H) + m.latent + 3 * m.latent + 2 * PIXELS;
  return { parameters, units: m.glimpses * step + PIXELS, widest: read + H + 6 * H + 2 * PIXELS };
}

/** The shape of the model a config builds. */
function shape(config: Readonly<RunConfig>): Shape {
  const m = config.model;
  if (m.kind === 'mlp') return mlpShape(m);
  if (m.kind === 'conv') return convShape(m);
  if (m.kind === 'rnn') return rnnShape(m, config.data);
  if (m.kind === 'draw') return drawShape(m);
  return retrievalShape(m, config.data);
}

export function estimateRun(config: Readonly<RunConfig>): RunEstimate {
  const { parameters, units, widest } = shape(config);
  // The largest of a training step, an evaluation batch and batch norm's population pass (one after another).
  const m = config.model;
  const population = m.kind !== 'draw' && m.norm === 'batch' ? Math.min(m.bnStatsBatch, config.data.train) : 0;
  const forward = Math.max(Math.min(EVAL_BATCH, config.data.test), population);
  const peak = Math.max(TRAIN_COPIES * config.train.batchSize * units, FORWARD_COPIES * forward * widest);
  const pixels = PIXELS * digitsPerImage(config.data);
  const data = (config.data.train + config.data.test) * pixels;
  const floats = PARAMETER_COPIES * parameters + peak + data;
  return { parameters, activationsPerExample: units, bytes: BYTES * floats };
}

/** The memory this process may use: the machine's, or less where a cgroup (a container) limits it. */
export function machineMemory(): number {
  const constrained = (process as unknown as { constrainedMemory?: () => number | undefined }).constrainedMemory?.();
  return constrained && constrained > 0 && constrained < totalmem() ? constrained : totalmem();
}

/** What a backend can hold: the wasm backend 4 GiB, any backend at most the machine's memory. */
export function memoryLimit(backend: string, machine = machineMemory()): number {
  return backend === 'wasm' ? Math.min(WASM_LIMIT, machine) : machine;
}

export function formatBytes(bytes: number): string {
  return bytes >= 1024 ** 3
    ? `${(bytes / 1024 ** 3).toFixed(1)} GB`
    : `${Math.max(1, Math.round(bytes / 1024 ** 2))} MB`;
}
