// Runs an experiment: its shard of the runs, minus those already done, in-process or in worker processes,
// rebuilding summary.csv after every run.
import type { BackendName } from '../backend/select';
import type { Experiment } from '../config/load';
import type { RunSpec } from '../config/sweep';
import { cachedLoader } from '../data/dataset';
import type { Dataset } from '../data/types';
import { writeYaml } from '../metrics/files';
import { experimentDir } from './layout';
import { finishedRecord, shardOf, type Shard } from './plan';
import { runPool } from './pool';
import type { Progress } from './progress';
import { runOne, type RunOutcome } from './run-one';
import { writeSummary } from './summary';

export interface ExperimentOptions {
  experiment: Experiment;
  outRoot: string;
  backend: BackendName;
  progress: Progress;
  /** From loadAllData(experiment.runs); used when jobs is 1. */
  data: (cfg: RunSpec['config']['data']) => Dataset;
  /** Worker processes; 1 runs in this process. */
  jobs: number;
  shard?: Shard;
  /** Rerun runs already finished with the same config. */
  force: boolean;
  /** True once the user asked to stop (Ctrl-C): runs end after their current step, no further run starts. */
  shouldStop: () => boolean;
  stopRequested: Promise<void>;
}

/**
 * Loads the data of every distinct `data` section, before anything is written: missing or corrupt data is a
 * user error that must leave no half-written experiment behind. Returns the loader, holding them.
 */
export function loadAllData(runs: readonly RunSpec[]): (cfg: RunSpec['config']['data']) => Dataset {
  const load = cachedLoader();
  for (const run of runs) load(run.config.data);
  return load;
}

export async function runExperiment(o: ExperimentOptions): Promise<RunOutcome[]> {
  const { experiment, progress } = o;
  const expDir = experimentDir(o.outRoot, experiment.name);
  writeYaml(`${expDir}/experiment.yaml`, experiment.source);
  const indexed = experiment.runs.map((run, i) => [run, i + 1] as [RunSpec, number]);
  const mine = o.shard ? shardOf(indexed, o.shard) : indexed;
  const outcomes: RunOutcome[] = [];
  const todo: [RunSpec, number][] = [];
  for (const item of mine) {
    const rec = o.force ? undefined : finishedRecord(expDir, item[0]);
    if (rec) outcomes.push({ runId: rec.run_id, status: rec.status, final: rec.final ?? undefined, skipped: true });
    else todo.push(item);
  }
  const done = outcomes.length;
  const shardText = o.shard ? ` in shard ${o.shard.index}/${o.shard.count}` : '';
  progress.event({ kind: 'log', line: `${mine.length} run(s)${shardText}: ${todo.length} to run, ${done} already done${done ? ' (--force reruns them)' : ''}` });
  const onOutcome = (outcome: RunOutcome) => {
    outcomes.push(outcome);
    writeSummary(expDir, experiment.runs);
  };
  const emit = progress.event.bind(progress);
  const total = experiment.runs.length;
  if (o.jobs <= 1) {
    for (const [run, index] of todo) {
      if (o.shouldStop()) break;
      const data = o.data(run.config.data);
      onOutcome(await runOne({ experiment: experiment.name, outRoot: o.outRoot, backend: o.backend, run, index, total, data, emit, shouldStop: o.shouldStop }));
    }
  } else {
    await runPool({ jobs: o.jobs, experiment: experiment.name, outRoot: o.outRoot, backend: o.backend, queue: todo, total, emit, onOutcome, shouldStop: o.shouldStop, stopRequested: o.stopRequested });
  }
  writeSummary(expDir, experiment.runs);
  const order = new Map(experiment.runs.map((r, i) => [r.runId, i]));
  return outcomes.sort((a, b) => order.get(a.runId)! - order.get(b.runId)!);
}
