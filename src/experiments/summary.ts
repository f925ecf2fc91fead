// summary.csv: one row per run of the experiment, rebuilt from the run folders (so it survives reruns and shards).
import { join } from 'node:path';
import type { RunSpec } from '../config/sweep';
import { writeCsv } from '../util/fs';
import { readRunFolder } from '../results/read';
import { metricsColumns, taskOf } from '../tasks/catalog';

/**
 * Rows for `runs`, in run order; a run with no run.json is `missing`, one whose run.json or metrics.csv cannot
 * be read back is `corrupt` (its `problem` says which file and line; not a column of summary.csv).
 */
export function summaryRows(expDir: string, runs: readonly RunSpec[]): Record<string, unknown>[] {
  return runs.map((run) => {
    const columns = metricsColumns(taskOf(run.config));
    const folder = readRunFolder(expDir, run);
    const rec = folder.state === 'ok' ? folder.record : undefined;
    const final = (rec?.final ?? {}) as Partial<Record<string, number>>;
    return {
      run_id: run.runId,
      ...run.swept,
      status: rec?.status ?? folder.state,
      ...Object.fromEntries(columns.map((c) => [c, final[c] ?? null])),
      examples_per_second: rec?.examples_per_second ?? null,
      ...(folder.message ? { problem: folder.message } : {}),
    };
  });
}

export function writeSummary(expDir: string, runs: readonly RunSpec[]): string {
  const path = join(expDir, 'summary.csv');
  const sweptKeys = runs.length > 0 ? Object.keys(runs[0].swept) : [];
  const columns = runs.length > 0 ? metricsColumns(taskOf(runs[0].config)) : [];
  writeCsv(path, ['run_id', ...sweptKeys, 'status', ...columns, 'examples_per_second'], summaryRows(expDir, runs));
  return path;
}
