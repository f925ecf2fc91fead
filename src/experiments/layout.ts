// Where results go: <out>/<name>/<runId>/{config.yaml, metrics.csv, run.json} and <out>/<name>/summary.csv.
import { join } from 'node:path';
import type { EpochMetrics } from '../train/metrics';

export type RunStatus = 'running' | 'complete' | 'diverged' | 'interrupted' | 'failed';

export interface RunRecord {
  run_id: string;
  experiment: string;
  status: RunStatus;
  /** SHA-256 of the resolved config (sorted keys): a rerun skips the run when it matches and the run finished. */
  config_hash: string;
  swept: Record<string, unknown>;
  backend: string;
  tfjs_version: string;
  node_version: string;
  data: string;
  started: string;
  ended: string | null;
  wall_seconds: number | null;
  train_seconds: number | null;
  /** Seconds in batch norm's population passes (model.bnStats population), null for other runs. */
  population_seconds: number | null;
  examples_per_second: number | null;
  epochs_completed: number;
  steps: number;
  final: EpochMetrics | null;
  message: string | null;
}

export function experimentDir(outRoot: string, name: string): string {
  return join(outRoot, name);
}

export function runPaths(expDir: string, runId: string) {
  const dir = join(expDir, runId);
  return { dir, config: join(dir, 'config.yaml'), metrics: join(dir, 'metrics.csv'), run: join(dir, 'run.json') };
}
