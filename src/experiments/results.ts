// Reading a run folder's run.json and metrics.csv back: a file is there and well formed, missing, or corrupt
// (truncated, garbage, hand-edited), and a corrupt one says which file and line. summary and check report such
// runs as `corrupt`, and run reruns them.
import { existsSync, readFileSync } from 'node:fs';
import { parse } from 'csv-parse/sync';
import type { EpochMetrics } from '../train/metrics';
import { runPaths, type RunRecord } from './layout';

export type Read<T> = { state: 'ok'; value: T } | { state: 'missing' } | { state: 'corrupt'; message: string };

const STATUSES = new Set(['running', 'complete', 'diverged', 'interrupted', 'failed']);

/** The file's text, undefined when there is none, or why it cannot be read (a folder in its place, permissions). */
function readText(path: string): string | undefined | { unreadable: string } {
  if (!existsSync(path)) return undefined;
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    return { unreadable: `${path}: cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})` };
  }
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

/** metrics.csv: a header, then one row per epoch (1, 2, ...) whose epoch, step, train_nll and seconds are numbers. */
export function readMetrics(path: string): Read<EpochMetrics[]> {
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
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i];
    const bad = ['epoch', 'step', 'train_nll', 'seconds'].find((k) => typeof row[k] !== 'number');
    if (bad || row.epoch !== i + 1) {
      return {
        state: 'corrupt',
        message: `${path}:${i + 2}: ${bad ? `${bad} is not a number` : `epoch ${String(row.epoch)} where ${i + 1} belongs`}`,
      };
    }
  }
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
export function readRunFolder(expDir: string, runId: string): RunFolder {
  const paths = runPaths(expDir, runId);
  const record = readRunRecord(paths.run);
  if (record.state === 'missing') return { state: 'missing', rows: [] };
  if (record.state === 'corrupt') return { state: 'corrupt', rows: [], message: record.message };
  const metrics = readMetrics(paths.metrics);
  if (metrics.state === 'corrupt')
    return { state: 'corrupt', record: record.value, rows: [], message: metrics.message };
  const rows = metrics.state === 'ok' ? metrics.value : [];
  const expected = record.value.epochs_completed;
  if (record.value.status !== 'running' && typeof expected === 'number' && rows.length < expected) {
    return {
      state: 'corrupt',
      record: record.value,
      rows: [],
      message: `${paths.metrics}: ${rows.length} epoch row(s), ${paths.run} says ${expected} were completed`,
    };
  }
  return { state: 'ok', record: record.value, rows };
}
