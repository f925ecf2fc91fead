// One run, start to end: its folder (config.yaml, metrics.csv after every epoch, run.json), training, outcome.
import { rmSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { configHash } from '../config/hash';
import type { RunSpec } from '../config/sweep';
import type { Dataset } from '../data/types';
import { isUserError } from '../errors';
import { removeStaleTemporaries, writeCsv, writeJson, writeYaml } from '../metrics/files';
import { stepsPerEpoch } from '../train/batches';
import type { EpochMetrics } from '../metrics/types';
import { experimentDir, runPaths, type RunRecord, type RunStatus } from '../results/layout';
import { taskOf } from '../tasks/registry';
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
    final: null,
    message: null,
  };
}

/** A failure as run.json's message: a user error (e.g. a file that cannot be written) as its one line, else the stack. */
const messageOf = (err: unknown) => (isUserError(err) ? err.message : ((err as Error).stack ?? String(err)));

/**
 * Trains one run into its folder. The caller holds the run's lock (lock.ts), so nothing else writes its files:
 * temporary files left by processes of this host that died mid-write are removed at the start. A file that
 * cannot be written ends the run as `failed` with that message (in run.json when it can still be written).
 */
export async function runOne(o: RunOneOptions): Promise<RunOutcome> {
  const { run, data } = o;
  const paths = runPaths(experimentDir(o.outRoot, o.experiment), run.runId);
  const record = newRecord(o, data.origin);
  const t0 = performance.now();
  try {
    removeStaleTemporaries(paths.dir);
    writeYaml(paths.config, run.config);
    writeJson(paths.run, record); // `running` first, so that no reader sees a finished record without its rows
    rmSync(paths.metrics, { force: true }); // a previous attempt's rows must not pass for this one's
  } catch (err) {
    const message = messageOf(err).split('\n')[0];
    o.emit({ kind: 'end', runId: run.runId, status: 'failed', message });
    return { runId: run.runId, status: 'failed', message };
  }
  const cfg = run.config.train;
  const task = taskOf(run.config);
  const columns = task.columns;
  o.emit({
    kind: 'start',
    run: {
      runId: run.runId,
      task: task.name,
      index: o.index,
      total: o.total,
      epochs: cfg.epochs,
      stepsPerEpoch: stepsPerEpoch(data.train.count, cfg.batchSize),
    },
  });
  let rows: readonly EpochMetrics[] = [];
  try {
    const result = await train({
      config: run.config,
      task: task.create(run.config, data),
      shouldStop: o.shouldStop,
      onStep: (info) => o.emit({ kind: 'step', runId: run.runId, info }),
      onEpoch: (all) => {
        writeCsv(paths.metrics, columns, all);
        rows = [...all]; // what metrics.csv holds
        o.emit({ kind: 'epoch', runId: run.runId, row: all[all.length - 1] });
      },
    });
    Object.assign(record, {
      status: result.status,
      message: result.message ?? null,
      steps: result.steps,
      train_seconds: result.trainSeconds,
      population_seconds: result.populationSeconds,
      examples_per_second: result.trainSeconds > 0 ? result.examples / result.trainSeconds : null,
    });
  } catch (err) {
    Object.assign(record, { status: 'failed', message: messageOf(err) });
  }
  const final = rows[rows.length - 1];
  Object.assign(record, {
    ended: new Date().toISOString(),
    wall_seconds: (performance.now() - t0) / 1000,
    epochs_completed: rows.length,
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
  o.emit({ kind: 'end', runId: run.runId, status: record.status, message });
  return { runId: run.runId, status: record.status, final, ...(record.status === 'failed' ? { message } : {}) };
}
