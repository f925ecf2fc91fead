// What a run will need, estimated before anything trains: its parameters (its model kind's own estimate, next to
// its builder), and the memory of parameters, gradients, Adam's moments, activations at its batch sizes and its data
// on the device, against what the backend can address. A run that cannot fit is refused with the estimate (exit 2),
// instead of dying deep in tfjs ("Invalid typed array length") or after gigabytes of allocation.
import { totalmem } from 'node:os';
import type { Dataset } from '../data/types';
import { estimateModel } from '../models/registry';
import { statisticsPassOf } from '../norm/registry';
import { taskImplementation } from '../tasks/registry';
import type { RunConfig } from '../tasks/schema';

const BYTES = 4; // float32
/** Live copies of every parameter during a step: weights, gradient, Adam's m and v, and their next versions. */
const PARAMETER_COPIES = 6;
/**
 * Copies kept of each activation: in a training step, of every layer and step at once (their values and their
 * gradients' temporaries); without gradients models free each layer's or step's tensors as they go, so only the
 * widest layer counts: in evaluation with the batch's input slice and evaluation-mode norms' temporaries beside it
 * (test/limits.test.ts measures every model kind against these: the estimate is never below the peak measured), in
 * batch norm's population pass with its fused kernels (the 32-64-channel convnet's pass over 5,000 images took 1.75
 * GB of wasm heap, 1.07 times its widest block's tensors).
 */
const TRAIN_COPIES = 8;
const EVAL_COPIES = 2;
const PASS_COPIES = 1.25;
/** tfjs-backend-wasm's memory is 32-bit: a process can address at most 4 GiB. */
const WASM_LIMIT = 4 * 1024 ** 3;

export interface RunEstimate {
  parameters: number;
  /** Activations per example of a training step (units, summed over layers and steps). */
  activationsPerExample: number;
  bytes: number;
}

/** `data`: the run's data as its task loads it (the model's input shape and the values on the device come from it). */
export function estimateRun(config: Readonly<RunConfig>, data: Dataset): RunEstimate {
  const footprint = taskImplementation(config).footprint(config, data);
  const { parameters, units, widest } = estimateModel(config.model, footprint.data);
  // The largest of a training step, an evaluation batch and a norm's statistics pass (one after another).
  const statistics = Math.min(statisticsPassOf(config.model)?.batchSize ?? 0, config.data.train);
  const evaluation = Math.min(footprint.evalBatch, config.data.test);
  const forward = Math.max(EVAL_COPIES * evaluation, PASS_COPIES * statistics) * widest;
  const peak = Math.max(TRAIN_COPIES * config.train.batchSize * units, forward);
  const floats = PARAMETER_COPIES * parameters + peak + footprint.deviceValues;
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
