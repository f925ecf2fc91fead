// Trains one run: seeded model and shuffles, Adam, per-epoch evaluation; stops on a non-finite loss, on an epoch
// whose losses exceed the task's bound (a blown-up run), or on a stop request.
import * as tf from '@tensorflow/tfjs';
import type { EpochMetrics } from '../metrics/types';
import type { StatisticsPass } from '../norm/types';
import { Adam } from './adam';
import { epochBatches } from './batches';
import { rowAfter } from './rows';
import type { TrainConfig } from './spec';
import type { LossBound, Task } from './task';

export type TrainStatus = 'complete' | 'diverged' | 'interrupted';

export interface TrainResult {
  status: TrainStatus;
  rows: EpochMetrics[];
  steps: number;
  /** Training examples processed and the seconds spent in training steps (evaluation excluded). */
  examples: number;
  trainSeconds: number;
  /** Seconds spent in the passes after each epoch that a norm calls for (batch norm's population statistics). */
  populationSeconds: number | null;
  /** The untrained model's training loss per example: the first step's, before the first update (null: no step). */
  initialLoss: number | null;
  /** The task's divergence bound, factor x initialLoss (null: the task sets none, or initialLoss is not positive). */
  lossBound: number | null;
  message?: string;
  /** A completed run's task artifacts (Task.artifacts), by file name. */
  artifacts?: Record<string, unknown>;
}

export interface StepInfo {
  epoch: number;
  /** 1-based step within the epoch. */
  step: number;
  stepsPerEpoch: number;
  loss: number;
}

export interface TrainOptions {
  /** The run's train section. */
  config: Readonly<TrainConfig>;
  /** The run's task, built by the caller from its config (src/tasks/registry.ts); train disposes it at the end. */
  task: Task;
  /** When the run began (performance.now()), for metrics.csv's seconds: before the task was built. Default: now. */
  startedAt?: number;
  /** Checked after every training step and evaluation batch; true ends the run as `interrupted`. */
  shouldStop?: () => boolean;
  onStep?: (info: StepInfo) => void;
  /** Called after each epoch with all rows so far (the caller writes metrics.csv). */
  onEpoch?: (rows: readonly EpochMetrics[]) => void;
}

/** Lets timers and signal handlers (progress redraws, Ctrl-C) run between synchronous training steps. */
const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));
const YIELD_EVERY_MS = 50;

/** Yields to the event loop when YIELD_EVERY_MS have passed since it last did. */
function yielder(): () => Promise<void> {
  let last = performance.now();
  return async () => {
    if (performance.now() - last <= YIELD_EVERY_MS) return;
    await yieldToEventLoop();
    last = performance.now();
  };
}

/** What one epoch's training steps and population pass share. */
interface EpochContext {
  opts: TrainOptions;
  task: Task;
  optimizer: Adam;
  result: TrainResult;
  pause: () => Promise<void>;
  epoch: number;
  /** When the run began (performance.now()), for metrics.csv's seconds. */
  started: number;
}

/** Steps whose losses are still on the device: read back together, every READ_EVERY steps and at an epoch's end. */
const READ_EVERY = 16;

interface PendingStep {
  /** The step's objective, a scalar on the device (Adam.minimize's result). */
  loss: tf.Scalar;
  size: number;
  /** 1-based within the epoch. */
  step: number;
}

/** An epoch's training loss so far: the sum over examples, and their number. */
interface LossSum {
  total: number;
  seen: number;
}

/**
 * Reads the pending steps' losses in one asynchronous transfer (a GPU is never waited on step by step), adds them
 * to `sum` in step order and reports each step; false when one is not finite (the run diverged).
 */
async function readLosses(c: EpochContext, pending: PendingStep[], sum: LossSum, stepsPerEpoch: number) {
  const { opts, task, result, epoch } = c;
  const t0 = performance.now();
  const steps = pending.splice(0);
  let values: Float32Array;
  try {
    const stacked = tf.stack(steps.map((s) => s.loss));
    values = (await stacked.data().finally(() => stacked.dispose())) as Float32Array;
  } finally {
    tf.dispose(steps.map((s) => s.loss));
  }
  result.trainSeconds += (performance.now() - t0) / 1000;
  for (let k = 0; k < steps.length; k++) {
    const loss = task.perExample(values[k], steps[k].size);
    if (result.initialLoss === null) setBound(result, loss, task.divergence);
    if (!Number.isFinite(loss)) return diverged(c, loss, steps.slice(k));
    sum.total += loss * steps[k].size;
    sum.seen += steps[k].size;
    opts.onStep?.({ epoch, step: steps[k].step, stepsPerEpoch, loss });
  }
  return true;
}

/**
 * Ends the run as diverged at the first of `from` (its loss not finite); the steps after it, run before their losses
 * were read, are not counted.
 */
function diverged({ result, epoch }: EpochContext, loss: number, from: PendingStep[]): false {
  result.steps -= from.length - 1;
  result.examples -= from.slice(1).reduce((n, s) => n + s.size, 0);
  result.status = 'diverged';
  result.message = `non-finite training loss (${loss}) at epoch ${epoch}, step ${result.steps}`;
  return false;
}

/** Records the untrained model's loss (the first step's) and the bound it sets. */
function setBound(result: TrainResult, initialLoss: number, bound: LossBound | undefined): void {
  result.initialLoss = initialLoss;
  const positive = Number.isFinite(initialLoss) && initialLoss > 0;
  result.lossBound = bound && positive ? bound.factor * initialLoss : null;
}

/** Six significant digits, for messages. */
const short = (x: number) => String(Number(x.toPrecision(6)));

/**
 * Ends the run as diverged when the epoch's `row` holds, in a column the task bounds, a value that is not finite
 * or is above the bound (the training loss's epoch mean and the test metrics in its units alike: a model that
 * blew up can score far worse on the test set than its training loss shows); false then.
 */
function withinBound({ task, result, epoch }: EpochContext, row: EpochMetrics): boolean {
  for (const column of task.divergence?.columns ?? []) {
    const value = row[column];
    if (typeof value !== 'number') continue;
    const over = result.lossBound !== null && value > result.lossBound;
    if (Number.isFinite(value) && !over) continue;
    result.status = 'diverged';
    const why = over
      ? `above ${short(result.lossBound!)} (${task.divergence!.factor} x the untrained model's ` +
        `${short(result.initialLoss!)}, its training loss at step 0)`
      : 'not finite';
    result.message = `${column} ${short(value)} ${why} at epoch ${epoch}`;
    return false;
  }
  return true;
}

/**
 * One epoch's training steps, with a metrics row where train.evalEvery or evalsPerEpoch asks before its end; returns
 * the mean training loss per example since the last row (the epoch's without them), or undefined when the run
 * ended (`result.status` says why).
 */
async function trainEpoch(c: EpochContext): Promise<number | undefined> {
  const { opts, task, optimizer, result, epoch } = c;
  const cfg = opts.config;
  const batches = epochBatches(task.trainCount, cfg.batchSize, cfg.seed, epoch);
  let sum: LossSum = { total: 0, seen: 0 };
  const pending: PendingStep[] = [];
  try {
    for (let i = 0; i < batches.length; i++) {
      const t0 = performance.now();
      const batch = batches[i];
      const loss = optimizer.minimize(() => task.objective(batch), task.parameters);
      pending.push({ loss, size: batch.length, step: i + 1 });
      result.trainSeconds += (performance.now() - t0) / 1000;
      result.steps += 1;
      result.examples += batch.length;
      const row = i < batches.length - 1 && rowAfter(cfg, result.steps, i + 1, batches.length);
      const read = row || pending.length >= READ_EVERY || i === batches.length - 1;
      if (read && !(await readLosses(c, pending, sum, batches.length))) return undefined;
      await c.pause();
      if (opts.shouldStop?.()) return interrupted(c);
      if (row && !(await evaluationRow(c, epoch - 1 + (i + 1) / batches.length, sum.total / sum.seen)))
        return undefined;
      if (row) sum = { total: 0, seen: 0 };
    }
  } finally {
    tf.dispose(pending.map((s) => s.loss)); // steps left unread by a stop
  }
  return sum.total / sum.seen;
}

function interrupted({ result, epoch }: EpochContext): undefined {
  result.status = 'interrupted';
  result.message = `stopped at epoch ${epoch}, step ${result.steps}; metrics.csv keeps the rows written so far`;
  return undefined;
}

/**
 * The pass a norm calls for after each epoch (batch norm's population statistics, src/norm/batch/population.ts): the
 * model's forward pass over the training set in training mode (`pass.batchSize` examples at a time, in the epoch's
 * order), with no gradient and no update. False when stopped before the end (the statistics then stay as they were).
 */
async function statisticsPass(c: EpochContext, statistics: StatisticsPass): Promise<boolean> {
  const { opts, task, result } = c;
  const t0 = performance.now();
  const pass = statistics.begin();
  try {
    for (const batch of epochBatches(task.trainCount, statistics.batchSize, opts.config.seed, c.epoch)) {
      task.forward(batch);
      await c.pause();
      if (opts.shouldStop?.()) return false;
    }
    pass.commit();
    return true;
  } finally {
    pass.end();
    result.populationSeconds = (result.populationSeconds ?? 0) + (performance.now() - t0) / 1000;
  }
}

/**
 * A metrics row at `epoch` (fractional between epochs' ends: train.evalEvery, evalsPerEpoch): the pass the norm
 * may call for, evaluation, the row (`trainLoss` the mean since the previous row); false when the run ended
 * (`result.status` says why: interrupted, or diverged, the row that blew up recorded).
 */
async function evaluationRow(c: EpochContext, epoch: number, trainLoss: number): Promise<boolean> {
  const { opts, task, result } = c;
  if (task.statisticsPass && !(await statisticsPass(c, task.statisticsPass))) {
    interrupted(c);
    return false;
  }
  const measures = await task.evaluate(async () => {
    await c.pause();
    return opts.shouldStop?.() ?? false;
  });
  if (measures === undefined) {
    interrupted(c);
    return false;
  }
  const row: EpochMetrics = {
    epoch: Number(epoch.toFixed(6)),
    step: result.steps,
    [task.lossColumn]: trainLoss,
    ...measures,
    seconds: (performance.now() - c.started) / 1000,
  };
  result.rows.push(row);
  opts.onEpoch?.(result.rows);
  return withinBound(c, row);
}

/** One epoch: its training steps (and rows between, train.evalEvery's), then its own row; false when it ended. */
async function runEpoch(c: EpochContext): Promise<boolean> {
  const trainLoss = await trainEpoch(c);
  return trainLoss !== undefined && (await evaluationRow(c, c.epoch, trainLoss));
}

export async function train(opts: TrainOptions): Promise<TrainResult> {
  const { config, task } = opts;
  const started = opts.startedAt ?? performance.now();
  const optimizer = new Adam(config);
  const result: TrainResult = {
    status: 'complete',
    rows: [],
    steps: 0,
    examples: 0,
    trainSeconds: 0,
    populationSeconds: task.statisticsPass ? 0 : null,
    initialLoss: null,
    lossBound: null,
  };
  const pause = yielder();
  try {
    for (let epoch = 1; epoch <= config.epochs; epoch++) {
      if (!(await runEpoch({ opts, task, optimizer, result, pause, epoch, started }))) break;
    }
    if (result.status === 'complete' && task.artifacts) result.artifacts = await task.artifacts();
  } finally {
    optimizer.dispose();
    task.dispose();
  }
  return result;
}
