// What a run will need, estimated before anything trains: its parameters (its model kind's own estimate, next to
// its builder), and the memory of parameters, gradients, Adam's moments, activations at its batch sizes and its data
// on the device, against what the backend can address. A run that cannot fit is refused with the estimate (exit 2),
// instead of dying deep in tfjs ("Invalid typed array length") or after gigabytes of allocation.
import { availableParallelism, totalmem } from 'node:os';
import { getHeapStatistics } from 'node:v8';
import { GPU_BACKENDS, type BackendName } from '../backend/select';
import type { Experiment } from '../config/load';
import type { Dataset } from '../data/types';
import { UserError } from '../errors';
import { estimateModel } from '../models/registry';
import { statisticsPassOf } from '../norm/registry';
import { taskImplementation } from '../tasks/registry';
import type { RunConfig } from '../tasks/schema';
import type { DataLoader } from './data';

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
  /** JavaScript heap a training step and an evaluation take beside the values (ModelEstimate.heap), and its key. */
  heap?: { bytes: number; key: string };
}

/** JavaScript heap per tensor an evaluation keeps until its one read-back (Footprint.keptTensors). */
const HEAP_PER_TENSOR = 1024;

/** `data`: the run's data as its task loads it (the model's input shape and the values on the device come from it). */
export function estimateRun(config: Readonly<RunConfig>, data: Dataset): RunEstimate {
  const footprint = taskImplementation(config).footprint(config, data);
  const { parameters, units, widest, heap, trainCopies } = estimateModel(config.model, footprint.data);
  // The largest of a training step, an evaluation batch and a norm's statistics pass (one after another).
  const statistics = Math.min(statisticsPassOf(config.model)?.batchSize ?? 0, config.data.train);
  const evaluation = Math.min(footprint.evalBatch, config.data.test);
  const forward = Math.max(EVAL_COPIES * evaluation, PASS_COPIES * statistics) * widest;
  const peak = Math.max((trainCopies ?? TRAIN_COPIES) * config.train.batchSize * units, forward);
  const floats = PARAMETER_COPIES * parameters + peak + footprint.deviceValues;
  const kept = (footprint.keptTensors ?? 0) * HEAP_PER_TENSOR;
  const heapBytes = (heap?.bytes ?? 0) + kept;
  const heapKey = heap?.key ?? footprint.keptKey;
  return {
    parameters,
    activationsPerExample: units,
    bytes: BYTES * floats,
    ...(heapKey ? { heap: { bytes: heapBytes, key: heapKey } } : {}),
  };
}

/** What Node's JavaScript heap may hold (its --max-old-space-size). */
export const heapLimit = () => getHeapStatistics().heap_size_limit;

/** Refuses a run whose JavaScript heap estimate Node cannot hold, naming the key that sets it. */
function checkHeap(file: string, runId: string, e: RunEstimate): void {
  if (!e.heap || e.heap.bytes <= heapLimit()) return;
  throw new UserError(
    `${file}: run ${runId}: ${e.heap.key}: needs about ${formatBytes(e.heap.bytes)} of JavaScript heap (tfjs's objects ` +
      `for every tensor a training step records or an evaluation keeps) and Node's heap holds ` +
      `${formatBytes(heapLimit())}; make ${e.heap.key} smaller`,
  );
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

/**
 * Runs at once: --jobs, else one per core on cpu/wasm (each runs on one core) and one on a GPU (which runs share
 * badly); at most as many as the machine's memory holds (`largest`: the largest run's estimate).
 */
export function jobsFor(
  requested: number | undefined,
  backend: string,
  largest: number,
  log: (line: string) => void,
): number {
  const gpu = GPU_BACKENDS.includes(backend as BackendName);
  let jobs = requested ?? (gpu ? 1 : availableParallelism());
  const fit = Math.max(1, Math.floor(machineMemory() / largest));
  if (jobs > fit) {
    log(
      `--jobs ${jobs}: ${jobs} runs at once would need about ${formatBytes(jobs * largest)} and this machine has ${formatBytes(machineMemory())}; running ${fit} at once`,
    );
    jobs = fit;
  }
  if (requested !== undefined && requested > availableParallelism() && !gpu) {
    log(
      `--jobs ${requested}: more than this machine's ${availableParallelism()} CPU cores; each worker trains on one core, so they will slow each other (at most one worker per run to do is started)`,
    );
  }
  return jobs;
}

/**
 * Refuses, before anything is written, a run whose estimated memory the backend cannot hold; returns
 * the largest estimate.
 */
export function checkMemory(experiments: readonly Experiment[], backend: string, data: DataLoader): number {
  const limit = memoryLimit(backend);
  let largest = 0;
  for (const experiment of experiments) {
    for (const run of experiment.runs) {
      const e = estimateRun(run.config, data(run.config));
      checkHeap(experiment.file, run.runId, e);
      largest = Math.max(largest, e.bytes);
      if (e.bytes <= limit) continue;
      const what =
        backend === 'wasm'
          ? `the wasm backend can address ${formatBytes(limit)} (32-bit WebAssembly memory)`
          : `this machine has ${formatBytes(limit)}`;
      throw new UserError(
        `${experiment.file}: run ${run.runId}: needs about ${formatBytes(e.bytes)} (${e.parameters.toExponential(2)} parameters, each kept ~6 times for weights, gradients and Adam's moments, ` +
          `and ${e.activationsPerExample} activations per example at batch ${run.config.train.batchSize}) and ${what}; make the model or the batch smaller`,
      );
    }
  }
  return largest;
}
