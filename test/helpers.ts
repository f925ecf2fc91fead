// Shared test helpers: backends to run numerics on, float64 references and finite differences.
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { installKernelFixes } from '../src/backend/fast';
import { selectBackend } from '../src/backend/select';
import { runConfigSchema, type RunConfig } from '../src/config/schema';
import { rngFor } from '../src/data/rng';
import type { BatchNormSettings } from '../src/norm/batch/spec';
import type { NormKind, NormSettings } from '../src/norm/catalog';
import { NORM_DEFAULTS } from '../src/norm/spec';
import type { Dataset } from '../src/data/types';
import { createTask, taskImplementation } from '../src/tasks/registry';
import { train, type TrainOptions, type TrainResult } from '../src/train/loop';

/** The backends every numerical test runs on (the native one is not installed here). */
export const TEST_BACKENDS = ['cpu', 'wasm'] as const;

/**
 * The backends the fused kernels' tests run on: webgpu too, on this machine's adapter (in CI the software one,
 * Mesa llvmpipe through Dawn's OpenGL ES backend: slow, so only the kernel-level tests run there).
 */
export const KERNEL_BACKENDS = [...TEST_BACKENDS, 'webgpu'] as const;

export async function useBackend(name: string): Promise<void> {
  // webgpu is registered by selectBackend (Dawn's adapter first); the others are registered on import.
  if (name === 'webgpu' && !tf.engine().registryFactory.webgpu) await selectBackend('webgpu');
  if (!(await tf.setBackend(name))) throw new Error(`backend ${name} did not load`);
  await tf.ready();
  // As selectBackend does: no test computes with a stock kernel the code documents as wrong.
  installKernelFixes();
}

/** A [rows, cols] matrix of seeded N(0,1)-ish numbers (sum of uniforms), as float64 rows. */
export function randomMatrix(rows: number, cols: number, seed: number, scale = 1, shift = 0): number[][] {
  const rng = rngFor(seed, 'test');
  return Array.from({ length: rows }, () =>
    Array.from({ length: cols }, () => shift + scale * (rng() + rng() + rng() - 1.5) * 2),
  );
}

export function toTensor(m: number[][]): tf.Tensor2D {
  return tf.tensor2d(m);
}

export async function toRows(t: tf.Tensor): Promise<number[][]> {
  return (await t.array()) as number[][];
}

/** max |a - b| / max(1, |b|) over matching entries. */
export function maxRelError(a: number[][] | number[], b: number[][] | number[]): number {
  const fa = (a as unknown[]).flat(2) as number[];
  const fb = (b as unknown[]).flat(2) as number[];
  if (fa.length !== fb.length) throw new Error(`length ${fa.length} vs ${fb.length}`);
  let worst = 0;
  for (let i = 0; i < fa.length; i++) worst = Math.max(worst, Math.abs(fa[i] - fb[i]) / Math.max(1, Math.abs(fb[i])));
  return worst;
}

/** Central finite differences of f at x (float64), one entry at a time. */
export function finiteDifference(f: (x: number[]) => number, x: number[], h = 1e-6): number[] {
  return x.map((_, i) => {
    const plus = [...x];
    const minus = [...x];
    plus[i] += h;
    minus[i] -= h;
    return (f(plus) - f(minus)) / (2 * h);
  });
}

export function reshape(flat: number[], rows: number, cols: number): number[][] {
  return Array.from({ length: rows }, (_, r) => flat.slice(r * cols, (r + 1) * cols));
}

/**
 * A model's norm settings for building a norm directly: the schema's defaults but running averages (no population
 * pass outside the training loop), with `overrides`.
 */
export function normSettings(
  norm: NormKind,
  overrides: Partial<Omit<NormSettings, 'norm'> & BatchNormSettings> = {},
): NormSettings & BatchNormSettings {
  return { ...NORM_DEFAULTS, norm, bnStats: 'running', bnStatsBatch: 5000, bnMomentum: 0.9, ...overrides };
}

/** The data of the task `config` describes, as its loader gives it (experiments/data.ts caches the same). */
export function loadData(config: Readonly<RunConfig>): Dataset {
  return taskImplementation(config).load(config.data);
}

/** train() on the task `config` describes (what experiments/run-one.ts does, without the run folder). */
export function trainOn(
  opts: { config: Readonly<RunConfig>; data: Dataset } & Omit<TrainOptions, 'config' | 'task'>,
): Promise<TrainResult> {
  const { data, config, ...rest } = opts;
  return train({ ...rest, config: config.train, task: createTask(config, data) });
}

/**
 * Calls `listener` with the name of every kernel the engine dispatches (ops, gradients; not kernels that kernels
 * call directly) until the returned function is called.
 */
export function onKernel(listener: (name: string) => void): () => void {
  const engine = tf.engine() as unknown as { runKernel(name: string, ...rest: unknown[]): unknown };
  const stock = Object.getPrototypeOf(engine).runKernel as (name: string, ...rest: unknown[]) => unknown;
  engine.runKernel = function (this: unknown, name: string, ...rest: unknown[]) {
    listener(name);
    return stock.call(this, name, ...rest);
  };
  return () => void delete (engine as { runKernel?: unknown }).runKernel;
}

/** A tiny run config of `model` (48 training and 24 test digits, batch 8, 2 epochs), as the webgpu tests train it. */
export function tinyConfig(model: Record<string, unknown>, view = 'flat'): RunConfig {
  return runConfigSchema.parse({
    name: 'tiny',
    data: { train: 48, test: 24, seed: 1, view },
    model,
    train: { batchSize: 8, epochs: 2, learningRate: 1e-2, seed: 3 },
  });
}

/** Metrics rows without the timing column. */
export const metricsOf = (rows: readonly Record<string, number | null | undefined>[]) =>
  rows.map(({ seconds: _s, ...rest }) => rest);
