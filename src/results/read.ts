// The one reader of result folders (run, summary, check and report all read through it): an experiment
// folder's experiment.yaml, and each run folder's run.json and metrics.csv, which are there and well formed,
// missing, or corrupt (truncated, garbage, hand-edited; a corrupt one says which file and line). summary and
// check report such runs as `corrupt`, report refuses them, and run reruns them.
import { join } from 'node:path';
import { readRegularFile } from '../util/fs';
import { parse } from 'csv-parse/sync';
import { configHash } from '../config/hash';
import { parseYaml, resolveExperiment, type Experiment } from '../config/load';
import type { RunConfig } from '../config/schema';
import type { RunSpec } from '../config/sweep';
import { UserError } from '../errors';
import { wholeEpochs, type EpochMetrics } from '../metrics/types';
import { taskOf } from '../tasks/catalog';
import { runPaths, type RunRecord } from './layout';
import { configDrift, type Drift } from './mixed';

export type Read<T> = { state: 'ok'; value: T } | { state: 'missing' } | { state: 'corrupt'; message: string };

const STATUSES = new Set(['running', 'complete', 'diverged', 'interrupted', 'failed']);

/**
 * The file's text, undefined when there is none, or why it cannot be read (a folder, a FIFO or a link loop in its
 * place, permissions), looked at before opening it: a FIFO would wait for a writer forever.
 */
function readText(path: string): string | undefined | { unreadable: string } {
  const text = readRegularFile(path);
  return typeof text === 'object' ? { unreadable: `${path}: ${text.problem}` } : text;
}

/** `path:line` of a JSON.parse error at "position N" of `text`. */
function jsonErrorAt(path: string, text: string, err: Error): string {
  const position = /position (\d+)/.exec(err.message);
  const line = position ? text.slice(0, Number(position[1])).split('\n').length : undefined;
  return `${path}${line ? `:${line}` : ''}: not valid JSON (${text.trim() === '' ? 'empty file' : err.message})`;
}

/** run.json: a JSON object with a known `status`. */
export function readRunRecord(path: string): Read<RunRecord> {
  const text = readText(path);
  if (text === undefined) return { state: 'missing' };
  if (typeof text !== 'string') return { state: 'corrupt', message: text.unreadable };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    return { state: 'corrupt', message: jsonErrorAt(path, text, err as Error) };
  }
  const status = (value as { status?: unknown } | null)?.status;
  if (typeof value !== 'object' || value === null || typeof status !== 'string' || !STATUSES.has(status)) {
    return { state: 'corrupt', message: `${path}: not a run record (no valid "status")` };
  }
  return { state: 'ok', value: value as RunRecord };
}

/**
 * metrics.csv: a header, then one row per epoch (1, 2, ...) whose epoch, step and seconds are numbers, and its
 * training loss (`lossColumn`, its task's: train_nll, train_bound, ...).
 */
/**
 * Why metrics.csv's rows are not a run's, or undefined: the leading columns numbers, epochs increasing, the whole ones
 * 1, 2, ... in turn, a fractional one (train.evalEvery's) within the epoch after the last whole one.
 */
function rowOrder(rows: Record<string, unknown>[], lossColumn: string): { line: number; problem: string } | undefined {
  let whole = 0;
  let previous = 0;
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i];
    const bad = ['epoch', 'step', lossColumn, 'seconds'].find((k) => typeof row[k] !== 'number');
    if (bad) return { line: i + 2, problem: `${bad} is not a number` };
    const epoch = row.epoch as number;
    const misplaced = Number.isInteger(epoch) ? epoch !== whole + 1 : epoch <= previous || epoch >= whole + 1;
    if (misplaced) return { line: i + 2, problem: `epoch ${epoch} where ${whole + 1} belongs` };
    if (Number.isInteger(epoch)) whole = epoch;
    previous = epoch;
  }
  return undefined;
}

export function readMetrics(path: string, lossColumn: string): Read<EpochMetrics[]> {
  const text = readText(path);
  if (text === undefined) return { state: 'missing' };
  if (typeof text !== 'string') return { state: 'corrupt', message: text.unreadable };
  let rows: Record<string, unknown>[];
  try {
    rows = parse(text, { columns: true, cast: true, skip_empty_lines: true }) as Record<string, unknown>[];
  } catch (err) {
    const e = err as Error & { lines?: number };
    return {
      state: 'corrupt',
      message: `${path}${e.lines ? `:${e.lines}` : ''}: malformed CSV (${e.message.split('\n')[0]})`,
    };
  }
  const order = rowOrder(rows, lossColumn);
  if (order) return { state: 'corrupt', message: `${path}:${order.line}: ${order.problem}` };
  return { state: 'ok', value: rows as unknown as EpochMetrics[] };
}

/** What a run folder holds: its record and rows, or why it is missing or corrupt. */
export interface RunFolder {
  state: 'ok' | 'missing' | 'corrupt';
  record?: RunRecord;
  rows: EpochMetrics[];
  /** For a corrupt folder: the file and line and what is wrong. */
  message?: string;
}

/**
 * A run folder's files read together. Corrupt when either file is, or when a finished run's metrics.csv has
 * fewer rows than the epochs its run.json says were completed (a truncated file that still parses).
 */
export function readRunFolder(expDir: string, run: Pick<RunSpec, 'runId' | 'config'>): RunFolder {
  const paths = runPaths(expDir, run.runId);
  const record = readRunRecord(paths.run);
  if (record.state === 'missing') return { state: 'missing', rows: [] };
  if (record.state === 'corrupt') return { state: 'corrupt', rows: [], message: record.message };
  const metrics = readMetrics(paths.metrics, taskOf(run.config).lossColumn);
  if (metrics.state === 'corrupt')
    return { state: 'corrupt', record: record.value, rows: [], message: metrics.message };
  const rows = metrics.state === 'ok' ? metrics.value : [];
  const expected = record.value.epochs_completed;
  if (record.value.status !== 'running' && typeof expected === 'number' && wholeEpochs(rows) < expected) {
    return {
      state: 'corrupt',
      record: record.value,
      rows: [],
      message: `${paths.metrics}: ${wholeEpochs(rows)} epoch row(s), ${paths.run} says ${expected} were completed`,
    };
  }
  return { state: 'ok', record: record.value, rows };
}

/** How a folder's experiment.yaml is read. */
export interface FolderOptions {
  /**
   * Refuse the folder (a UserError, exit 2) for a claim of its experiment.yaml that today's checks refuse: for
   * `check`, which judges the claims. Otherwise (summary, report) each such claim is left out of the experiment
   * with one warning line on stderr, so that a folder an older ln-repro wrote stays readable.
   */
  strictClaims?: boolean;
}

/** The warning for a claim left out: the refusal on one line. */
function warnClaim(message: string): void {
  console.error(
    `ln-repro: warning: ${message.replace(/\n\s*-?\s*/g, ' ')} (claim left out; ln-repro check refuses it)`,
  );
}

/** An experiment folder's experiment.yaml: its text as written by `run`, and the experiment it describes. */
function readExperimentFile(dir: string, opts: FolderOptions = {}): { experiment: Experiment; text: string } {
  const file = join(dir, 'experiment.yaml');
  const text = readRegularFile(file);
  if (text === undefined)
    throw new UserError(
      `${dir}: not an experiment folder (no experiment.yaml); give <out>/<name> as written by ln-repro run`,
    );
  if (typeof text === 'object')
    throw new UserError(`${file}: ${text.problem}; ln-repro run writes it (rerun the experiment's config)`);
  // Its groups need not select runs: a --set may have narrowed its sweep (run checked them against the file's).
  const checks = { selectRuns: false, refused: opts.strictClaims ? undefined : warnClaim };
  return { experiment: resolveExperiment(file, parseYaml(file, text), checks), text };
}

/** An experiment folder as written by `run`: its experiment.yaml gives the run list. */
export function loadExperimentFolder(dir: string, opts: FolderOptions = {}): Experiment {
  return readExperimentFile(dir, opts).experiment;
}

/** What a claim needs to know of one run. */
export interface RunResult {
  runId: string;
  config: Readonly<RunConfig>;
  /** run.json's status, or `missing`, or `corrupt` (run.json or metrics.csv cannot be read back). */
  status: string;
  rows: EpochMetrics[];
  /** For a corrupt run: which file and line, and what is wrong. */
  problem?: string;
  /** run.json as read (undefined when missing or corrupt). */
  record?: RunRecord;
  /** A finished run of another config than experiment.yaml's: how it differs (src/results/mixed.ts). */
  drift?: Drift;
}

/** Every run of the experiment in folder `expDir`, in run order, as claims and the report see it. */
export function readRunResults(expDir: string, runs: readonly RunSpec[]): RunResult[] {
  return runs.map((run) => {
    const folder = readRunFolder(expDir, run);
    const status = folder.state === 'ok' ? folder.record!.status : folder.state;
    return {
      runId: run.runId,
      config: run.config,
      status,
      rows: folder.rows,
      problem: folder.message,
      record: folder.record,
      drift: folder.state === 'ok' ? configDrift(expDir, run, folder.record!) : undefined,
    };
  });
}

/** The finished runs of another config than experiment.yaml's, in run order. */
export const driftsOf = (runs: readonly RunResult[]): Drift[] => runs.flatMap((r) => (r.drift ? [r.drift] : []));

/** Statuses that are results: rerunning the same config would give the same. */
const FINISHED = new Set(['complete', 'diverged']);

/** Whether a run's status (RunResult.status) is a result; missing, running, interrupted, failed or corrupt is not. */
export const isFinished = (status: string): boolean => FINISHED.has(status);

/**
 * The run's record when its folder records a finished status for the same resolved config, with readable
 * metrics, else undefined (missing, unfinished, changed or corrupt runs are run again).
 */
export function finishedRecord(expDir: string, run: RunSpec): RunRecord | undefined {
  const folder = readRunFolder(expDir, run);
  const rec = folder.record;
  return folder.state === 'ok' &&
    rec !== undefined &&
    FINISHED.has(rec.status) &&
    rec.config_hash === configHash(run.config)
    ? rec
    : undefined;
}

/** An experiment folder read whole: the experiment, its experiment.yaml as written, and every run's results. */
export interface ExperimentResults {
  experiment: Experiment;
  experimentYaml: string;
  runs: RunResult[];
}

export function readExperimentResults(dir: string): ExperimentResults {
  const { experiment, text } = readExperimentFile(dir);
  return { experiment, experimentYaml: text, runs: readRunResults(dir, experiment.runs) };
}
