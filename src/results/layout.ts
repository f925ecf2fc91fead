// Where results go: <out>/<name>/<runId>/{config.yaml, metrics.csv, run.json} and <out>/<name>/summary.csv.
import { readdirSync } from 'node:fs';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import type { AdapterInfo } from '../backend/webgpu';
import { UserError } from '../errors';
import type { EpochMetrics } from '../metrics/types';
import { checkOutputFile, checkOutputFolder, specialFiles } from '../util/fs';

export type RunStatus = 'running' | 'complete' | 'diverged' | 'interrupted' | 'failed';

export interface RunRecord {
  run_id: string;
  experiment: string;
  status: RunStatus;
  /** SHA-256 of the resolved config (sorted keys): a rerun skips the run when it matches and the run finished. */
  config_hash: string;
  swept: Record<string, unknown>;
  backend: string;
  /** webgpu: the adapter the run trained on (software ones are for tests only); null on other backends. */
  adapter: AdapterInfo | null;
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
  /** The untrained model's training loss per example (the first step's, before any update); null before it. */
  initial_loss?: number | null;
  /** The task's divergence bound on its losses (factor x initial_loss); null where there is none. */
  loss_bound?: number | null;
  final: EpochMetrics | null;
  message: string | null;
}

/**
 * `root/segment`, which must be a folder strictly inside `root`: every path ln-repro writes is made here (the
 * config schema already keeps names and run ids to one safe segment; this holds whatever a caller passes).
 */
function childOf(root: string, segment: string, what: string): string {
  const path = join(root, segment);
  const rel = relative(resolve(root), resolve(path));
  if (rel === '' || rel.split(sep)[0] === '..' || isAbsolute(rel) || rel.includes(sep)) {
    throw new UserError(`${what} "${segment}" would write outside ${root}: it must be one folder name inside it`);
  }
  return path;
}

export function experimentDir(outRoot: string, name: string): string {
  return childOf(outRoot, name, 'experiment name');
}

/** What `report` writes into an experiment folder: report.md and its figures and pictures (every *.svg and *.png). */
export function reportFiles(expDir: string): string[] {
  let names: string[] = [];
  try {
    names = readdirSync(expDir).filter((n) => /\.(svg|png)$/.test(n));
  } catch {
    // no folder yet
  }
  return ['report.md', ...names];
}

/**
 * What `run` writes into an experiment folder after its runs, besides experiment.yaml and summary.csv: check.json
 * (claims checked) and the report (report.md and figures); a shard writes neither.
 */
export interface RunWrites {
  check: boolean;
  report: boolean;
}

/**
 * Before any work: the experiment folder `run` writes is a folder (or yet to be made), and the files of its own that
 * run will replace (experiment.yaml, summary.csv, and check.json and the report's files when `writes` says so) are
 * regular files where they exist: refused otherwise, as writeAtomic would refuse them after the training. The user
 * named --out, not these files, so the message says to remove them or to give another --out.
 */
export function checkExperimentFolder(expDir: string, writes: RunWrites): void {
  checkOutputFolder(expDir, 'experiment folder');
  const names = ['experiment.yaml', 'summary.csv'];
  if (writes.check) names.push('check.json');
  if (writes.report) names.push(...reportFiles(expDir));
  const special = specialFiles(expDir, names);
  if (special.length > 0)
    throw new UserError(
      `cannot write into ${expDir}: only a regular file is replaced, and ${special.join(', ')} ` +
        `(remove or move ${special.length > 1 ? 'them' : 'it'}, or give run another --out)`,
    );
  checkOutputFile(join(expDir, 'experiment.yaml'), 'cannot write'); // left: a part of its path a file, named here
}

export interface RunOutputs extends RunWrites {
  /** run's --out. */
  outRoot: string;
  experiments: readonly { name: string; claims: readonly unknown[] }[];
}

/**
 * Before `run` loads data or a backend: `--out` and each experiment's folder in it (checkExperimentFolder), check.json
 * only where claims will be checked.
 */
export function checkRunOutputs({ outRoot, experiments, check, report }: RunOutputs): void {
  checkOutputFolder(outRoot, '--out');
  for (const e of experiments)
    checkExperimentFolder(experimentDir(outRoot, e.name), { check: check && e.claims.length > 0, report });
}

export function runPaths(expDir: string, runId: string) {
  const dir = childOf(expDir, runId, 'run id');
  return {
    dir,
    config: join(dir, 'config.yaml'),
    metrics: join(dir, 'metrics.csv'),
    run: join(dir, 'run.json'),
    /** A completed run's task artifacts (e.g. DRAW's samples), one JSON file each. */
    artifacts: join(dir, 'artifacts'),
  };
}

/** The file of artifact `name` of a run (runPaths(...).artifacts). */
export const artifactPath = (artifacts: string, name: string) => join(artifacts, `${name}.json`);
