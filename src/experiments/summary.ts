// summary.csv: one row per run of the experiment, rebuilt from the run folders (so it survives reruns and shards).
import { join } from 'node:path';
import type { RunSpec } from '../config/sweep';
import { writeCsv } from '../util/fs';
import { configDrift, describeDrift, type Drift } from '../results/mixed';
import { readRunFolder } from '../results/read';
import { metricsColumns, taskOf } from '../tasks/catalog';

/**
 * One run's row of summary.csv; `problem` (what is wrong with a corrupt run's files, or why a run diverged) and
 * `drift` are for the summary command's output, not columns.
 */
export type SummaryRow = Record<string, unknown> & { run_id: string; status: string; problem?: string; drift?: Drift };

/**
 * Rows for `runs`, in run order; a run with no run.json is `missing`, one whose run.json or metrics.csv cannot
 * be read back is `corrupt` (its `problem` says which file and line). A finished run of another config than
 * experiment.yaml's has its `drift` (src/results/mixed.ts).
 */
export function summaryRows(expDir: string, runs: readonly RunSpec[]): SummaryRow[] {
  return runs.map((run) => {
    const columns = metricsColumns(taskOf(run.config));
    const folder = readRunFolder(expDir, run);
    const rec = folder.state === 'ok' ? folder.record : undefined;
    const final = (rec?.final ?? {}) as Partial<Record<string, number>>;
    const drift = rec ? configDrift(expDir, run, rec) : undefined;
    const problem = folder.message ?? (rec?.status === 'diverged' ? rec.message : undefined);
    return {
      run_id: run.runId,
      ...run.swept,
      status: rec?.status ?? folder.state,
      ...Object.fromEntries(columns.map((c) => [c, final[c] ?? null])),
      examples_per_second: rec?.examples_per_second ?? null,
      ...(problem ? { problem } : {}),
      ...(drift ? { drift } : {}),
    };
  });
}

/**
 * Writes summary.csv (rows read now unless given). When some finished run ran with another config than
 * experiment.yaml's, a `config` column after `status` says which: `experiment.yaml`, or `other config: <keys>`.
 */
export function writeSummary(expDir: string, runs: readonly RunSpec[], rows = summaryRows(expDir, runs)): string {
  const path = join(expDir, 'summary.csv');
  const sweptKeys = runs.length > 0 ? Object.keys(runs[0].swept) : [];
  const columns = runs.length > 0 ? metricsColumns(taskOf(runs[0].config)) : [];
  const mixed = rows.some((r) => r.drift);
  const labelled = rows.map((r) => ({
    ...r,
    config: r.drift ? `other config: ${describeDrift(r.drift)}` : 'experiment.yaml',
  }));
  const head = ['run_id', ...sweptKeys, 'status', ...(mixed ? ['config'] : []), ...columns, 'examples_per_second'];
  writeCsv(path, head, labelled);
  return path;
}
