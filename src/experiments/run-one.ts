// One run, start to end: its folder (config.yaml, metrics.csv after every epoch, run.json), training, outcome.
import { mkdirSync, rmSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { currentAdapter } from '../backend/webgpu';
import { configHash } from '../config/hash';
import type { RunSpec } from '../config/sweep';
import type { Dataset } from '../data/types';
import { isUserError } from '../errors';
import { removeStaleTemporaries, writeCsv, writeJson, writeYaml } from '../util/fs';
import { stepsPerEpoch } from '../train/batches';
import { wholeEpochs, type EpochMetrics } from '../metrics/types';
import { artifactPath, experimentDir, runPaths, type RunRecord, type RunStatus } from '../results/layout';
import { metricsColumns, taskOf } from '../tasks/catalog';
import { createTask } from '../tasks/registry';
import type { TaskSpec } from '../tasks/spec';
import { train } from '../train/loop';
import type { ProgressEvent } from './progress';

export interface RunOutcome {
  runId: string;
  status: RunStatus;
  final?: EpochMetrics;
  /** True when a previous invocation (or another process) finished this run with the same config, so it was not run again. */
  skipped?: boolean;
  /** Why a run did not complete, when it is worth showing (e.g. another process is training it). */
  message?: string;
}

export interface RunOneOptions {
  experiment: string;
  outRoot: string;
  backend: string;
  run: RunSpec;
  /** 1-based position in the experiment, and the experiment's run count. */
  index: number;
  total: number;
  data: Dataset;
  emit: (e: ProgressEvent) => void;
  /** True once the user asked to stop: the run ends after its current step. */
  shouldStop: () => boolean;
}

export function newRecord(o: Pick<RunOneOptions, 'experiment' | 'run' | 'backend'>, data: string): RunRecord {
  return {
    run_id: o.run.runId,
    experiment: o.experiment,
    status: 'running',
    config_hash: configHash(o.run.config),
    swept: { ...o.run.swept },
    backend: o.backend,
    adapter: o.backend === 'webgpu' ? (currentAdapter() ?? null) : null,
    tfjs_version: tf.version.tfjs,
    node_version: process.version,
    data,
    started: new Date().toISOString(),
    ended: null,
    wall_seconds: null,
    train_seconds: null,
    population_seconds: null,
    examples_per_second: null,
    epochs_completed: 0,
    steps: 0,
    initial_loss: null,
    loss_bound: null,
    final: null,
    message: null,
  };
}

/** A failure as run.json's message: a user error (e.g. a file that cannot be written) as its one line, else the stack. */
const messageOf = (err: unknown) => (isUserError(err) ? err.message : ((err as Error).stack ?? String(err)));

/** What the steps of one run share: its options, its files, the run.json record being filled in, its start. */
interface RunContext {
  o: RunOneOptions;
  paths: ReturnType<typeof runPaths>;
  record: RunRecord;
  /** performance.now() when the run started. */
  t0: number;
}

/**
 * Trains one run into its folder. The caller holds the run's lock (lock.ts), so nothing else writes its files:
 * temporary files left by processes of this host that died mid-write are removed at the start. A file that
 * cannot be written ends the run as `failed` with that message (in run.json when it can still be written).
 */
export async function runOne(o: RunOneOptions): Promise<RunOutcome> {
  const paths = runPaths(experimentDir(o.outRoot, o.experiment), o.run.runId);
  const c: RunContext = { o, paths, record: newRecord(o, o.data.origin), t0: performance.now() };
  const failed = prepareFolder(c);
  if (failed) return failed;
  const task = taskOf(o.run.config);
  emitStart(c, task);
  const rows = await trainRun(c, task);
  return finishRun(c, metricsColumns(task), rows);
}

/**
 * Clears the run's folder of stale temporaries and writes config.yaml and a `running` run.json; returns the
 * failed outcome (emitted) when that cannot be done.
 */
function prepareFolder({ o, paths, record }: RunContext): RunOutcome | undefined {
  try {
    removeStaleTemporaries(paths.dir);
    writeYaml(paths.config, o.run.config);
    writeJson(paths.run, record); // `running` first, so that no reader sees a finished record without its rows
    rmSync(paths.metrics, { force: true }); // a previous attempt's rows must not pass for this one's
    rmSync(paths.artifacts, { force: true, recursive: true });
  } catch (err) {
    const message = messageOf(err).split('\n')[0];
    o.emit({ kind: 'end', runId: o.run.runId, status: 'failed', message });
    return { runId: o.run.runId, status: 'failed', message };
  }
  return undefined;
}

/** Emits the run's start: its task, place in the experiment, epochs and steps per epoch. */
function emitStart({ o }: RunContext, task: TaskSpec): void {
  const cfg = o.run.config.train;
  o.emit({
    kind: 'start',
    run: {
      runId: o.run.runId,
      task: task.name,
      index: o.index,
      total: o.total,
      epochs: cfg.epochs,
      stepsPerEpoch: stepsPerEpoch(o.data.train.count, cfg.batchSize),
    },
  });
}

/**
 * Trains the run, writing metrics.csv after every epoch, and notes how training ended in the record (`failed`
 * with the error when it threw). Returns the rows metrics.csv holds.
 */
async function trainRun({ o, paths, record }: RunContext, task: TaskSpec): Promise<readonly EpochMetrics[]> {
  const { run } = o;
  let rows: readonly EpochMetrics[] = [];
  try {
    const startedAt = performance.now(); // metrics.csv's seconds count building the model too
    const result = await train({
      config: run.config.train,
      task: createTask(run.config, o.data),
      startedAt,
      shouldStop: o.shouldStop,
      onStep: (info) => o.emit({ kind: 'step', runId: run.runId, info }),
      onEpoch: (all) => {
        writeCsv(paths.metrics, metricsColumns(task), all);
        rows = [...all]; // what metrics.csv holds
        o.emit({ kind: 'epoch', runId: run.runId, row: all[all.length - 1] });
      },
    });
    for (const [name, value] of Object.entries(result.artifacts ?? {})) {
      mkdirSync(paths.artifacts, { recursive: true });
      writeJson(artifactPath(paths.artifacts, name), value);
    }
    Object.assign(record, {
      status: result.status,
      message: result.message ?? null,
      steps: result.steps,
      initial_loss: result.initialLoss,
      loss_bound: result.lossBound,
      train_seconds: result.trainSeconds,
      population_seconds: result.populationSeconds,
      examples_per_second: result.trainSeconds > 0 ? result.examples / result.trainSeconds : null,
    });
  } catch (err) {
    Object.assign(record, { status: 'failed', message: messageOf(err) });
  }
  return rows;
}

/**
 * Completes the record (end time, epochs, final row), writes run.json (and an empty metrics.csv when no epoch
 * ended), emits the run's end and returns its outcome.
 */
function finishRun(
  { o, paths, record, t0 }: RunContext,
  columns: readonly string[],
  rows: readonly EpochMetrics[],
): RunOutcome {
  const final = rows[rows.length - 1];
  Object.assign(record, {
    ended: new Date().toISOString(),
    wall_seconds: (performance.now() - t0) / 1000,
    epochs_completed: wholeEpochs(rows),
    final: final ?? null,
  });
  try {
    if (rows.length === 0) writeCsv(paths.metrics, columns, []);
    writeJson(paths.run, record);
  } catch (err) {
    Object.assign(record, {
      status: 'failed',
      message: `${record.status === 'failed' ? `${record.message}; ` : ''}${messageOf(err)}`,
    });
  }
  const message = record.message === null ? undefined : String(record.message).split('\n')[0];
  o.emit({ kind: 'end', runId: o.run.runId, status: record.status, message });
  return { runId: o.run.runId, status: record.status, final, ...(record.status === 'failed' ? { message } : {}) };
}
