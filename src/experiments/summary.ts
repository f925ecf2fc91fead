// summary.csv: one row per run of the experiment, rebuilt from the run folders (so it survives reruns and shards).
import { join } from 'node:path';
import type { RunSpec } from '../config/sweep';
import { writeCsv } from '../metrics/files';
import { metricColumns } from '../train/metrics';
import { runPaths } from './layout';
import { readRecord } from './plan';

/** Rows for `runs`, in run order; a run with no readable run.json is `missing`. */
export function summaryRows(expDir: string, runs: readonly RunSpec[]): Record<string, unknown>[] {
  return runs.map((run) => {
    const columns = metricColumns(run.config);
    const rec = readRecord(runPaths(expDir, run.runId).run);
    const final = (rec?.final ?? {}) as Partial<Record<string, number>>;
    return {
      run_id: run.runId,
      ...run.swept,
      status: rec?.status ?? 'missing',
      ...Object.fromEntries(columns.map((c) => [c, final[c] ?? null])),
      examples_per_second: rec?.examples_per_second ?? null,
    };
  });
}

export function writeSummary(expDir: string, runs: readonly RunSpec[]): string {
  const path = join(expDir, 'summary.csv');
  const sweptKeys = runs.length > 0 ? Object.keys(runs[0].swept) : [];
  const columns = runs.length > 0 ? metricColumns(runs[0].config) : [];
  writeCsv(path, ['run_id', ...sweptKeys, 'status', ...columns, 'examples_per_second'], summaryRows(expDir, runs));
  return path;
}
