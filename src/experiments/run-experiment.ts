// Runs every run of an experiment in order, writing each run's files as it goes and summary.csv after each run.
import { rmSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import type { Experiment } from '../config/load';
import type { DataConfig } from '../config/schema';
import type { RunSpec } from '../config/sweep';
import { loadDataset } from '../data/dataset';
import type { Dataset } from '../data/types';
import { writeCsv, writeJson, writeYaml } from '../metrics/files';
import { stepsPerEpoch } from '../train/batches';
import { train, type EpochMetrics } from '../train/loop';
import { experimentDir, METRIC_COLUMNS, runPaths, type RunRecord, type RunStatus } from './layout';
import type { Progress } from './progress';
import { writeSummary } from './summary';

export interface ExperimentOptions {
  experiment: Experiment;
  outRoot: string;
  backend: string;
  progress: Progress;
  /** From loadAllData(experiment.runs). */
  data: Map<string, Dataset>;
  /** True once the user asked to stop (Ctrl-C): the current run ends after its step, no further run starts. */
  shouldStop: () => boolean;
}

export interface RunOutcome {
  runId: string;
  status: RunStatus;
  final?: EpochMetrics;
}

/**
 * Loads the data of every distinct `data` section, before anything is written: missing or corrupt data is a
 * user error that must leave no half-written experiment behind.
 */
export function loadAllData(runs: readonly RunSpec[]): Map<string, Dataset> {
  const cache = new Map<string, Dataset>();
  for (const run of runs) {
    const key = dataKey(run.config.data);
    if (!cache.has(key)) cache.set(key, loadDataset(run.config.data));
  }
  return cache;
}

function dataKey(cfg: DataConfig): string {
  return JSON.stringify(cfg);
}

function newRecord(experiment: Experiment, run: RunSpec, backend: string, data: Dataset): RunRecord {
  return {
    run_id: run.runId,
    experiment: experiment.name,
    status: 'running',
    swept: { ...run.swept },
    backend,
    tfjs_version: tf.version.tfjs,
    node_version: process.version,
    data: data.origin,
    started: new Date().toISOString(),
    ended: null,
    wall_seconds: null,
    train_seconds: null,
    examples_per_second: null,
    epochs_completed: 0,
    steps: 0,
    final: null,
    message: null,
  };
}

async function runOne(opts: ExperimentOptions, run: RunSpec, index: number, data: Dataset): Promise<RunOutcome> {
  const { experiment, progress } = opts;
  const paths = runPaths(experimentDir(opts.outRoot, experiment.name), run.runId);
  const record = newRecord(experiment, run, opts.backend, data);
  const t0 = performance.now();
  rmSync(paths.metrics, { force: true }); // a previous attempt's rows must not pass for this one's
  writeYaml(paths.config, run.config);
  writeJson(paths.run, record);
  const cfg = run.config.train;
  progress.runStart({ runId: run.runId, index, total: experiment.runs.length, epochs: cfg.epochs, stepsPerEpoch: stepsPerEpoch(data.train.count, cfg.batchSize) });
  let rows: readonly EpochMetrics[] = [];
  try {
    const result = await train({
      config: run.config,
      data,
      shouldStop: opts.shouldStop,
      onStep: (info) => progress.step(info),
      onEpoch: (all) => {
        rows = all;
        writeCsv(paths.metrics, METRIC_COLUMNS, all as unknown as Record<string, unknown>[]);
        progress.epoch(all[all.length - 1]);
      },
    });
    Object.assign(record, {
      status: result.status,
      message: result.message ?? null,
      steps: result.steps,
      train_seconds: result.trainSeconds,
      examples_per_second: result.trainSeconds > 0 ? result.examples / result.trainSeconds : null,
    });
  } catch (err) {
    Object.assign(record, { status: 'failed', message: (err as Error).stack ?? String(err) });
  }
  if (rows.length === 0) writeCsv(paths.metrics, METRIC_COLUMNS, []);
  const final = rows[rows.length - 1];
  Object.assign(record, {
    ended: new Date().toISOString(),
    wall_seconds: (performance.now() - t0) / 1000,
    epochs_completed: rows.length,
    final: final ?? null,
  });
  writeJson(paths.run, record);
  progress.runEnd(record.status, record.status === 'failed' ? String(record.message).split('\n')[0] : (record.message ?? undefined));
  return { runId: run.runId, status: record.status, final };
}

export async function runExperiment(opts: ExperimentOptions): Promise<RunOutcome[]> {
  const { experiment } = opts;
  const expDir = experimentDir(opts.outRoot, experiment.name);
  writeYaml(`${expDir}/experiment.yaml`, experiment.source);
  const outcomes: RunOutcome[] = [];
  for (const [i, run] of experiment.runs.entries()) {
    if (opts.shouldStop()) break;
    outcomes.push(await runOne(opts, run, i + 1, opts.data.get(dataKey(run.config.data))!));
    writeSummary(expDir, experiment.runs);
  }
  return outcomes;
}
