// Shared test helpers: backends to run numerics on, float64 references and finite differences.
import assert from 'node:assert/strict';
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
function tinyConfig(model: Record<string, unknown>, view = 'flat'): RunConfig {
  return runConfigSchema.parse({
    name: 'tiny',
    data: { train: 48, test: 24, seed: 1, view },
    model,
    train: { batchSize: 8, epochs: 2, learningRate: 1e-2, seed: 3 },
  });
}

/** Metrics rows without the timing column. */
const metricsOf = (rows: readonly Record<string, number | null | undefined>[]) =>
  rows.map(({ seconds: _s, ...rest }) => rest);

/**
 * Trains the tiny config of `model` on webgpu (the current backend), checking that each of the `fused` kernels ran
 * and no tensor leaked, then on cpu, and compares their metrics row by row: float32 rounding differs between the
 * backends, so losses agree to 1e-3, and at most one test example (or query) changes its outcome: 1/n of the error,
 * 100/n percent of a recall, 1 of a mean rank.
 */
export async function assertTrainsAsOnCpu(
  model: Record<string, unknown>,
  view: string,
  fused: readonly string[],
): Promise<void> {
  const config = tinyConfig(model, view);
  const data = loadData(config);
  const before = tf.memory().numTensors;
  const ran = new Set<string>();
  const stop = onKernel((name) => ran.add(name));
  const gpu = await trainOn({ config, data }).finally(stop);
  for (const name of fused) assert.ok(ran.has(name), `the fused ${name} ran`);
  assert.equal(tf.memory().numTensors, before, 'no tensor leaks');
  assert.equal(gpu.status, 'complete');
  await tf.setBackend('cpu');
  const cpu = await trainOn({ config, data }).finally(() => tf.setBackend('webgpu'));
  const [g, c] = [metricsOf(gpu.rows), metricsOf(cpu.rows)];
  assert.equal(g.length, c.length);
  const n = config.data.test;
  const toleranceOf = (k: string, v: number | null | undefined) =>
    ['epoch', 'step'].includes(k)
      ? 0
      : k.endsWith('nll')
        ? 1e-3 * Math.max(1, Math.abs(v ?? 0))
        : k === 'test_error'
          ? 1 / n + 1e-9
          : k.endsWith('mean_rank')
            ? 1
            : 100 / n + 1e-9;
  for (let e = 0; e < c.length; e++)
    for (const [k, v] of Object.entries(c[e])) {
      const w = g[e][k];
      assert.ok(
        typeof v === 'number' && typeof w === 'number' && Math.abs(w - v) <= toleranceOf(k, v),
        `epoch ${e + 1} ${k}: webgpu ${w}, cpu ${v}`,
      );
    }
}
