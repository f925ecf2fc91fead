// Runs an experiment: its shard of the runs, minus those already done, in-process or in worker processes,
// rebuilding summary.csv after every run. A run is trained only while this process holds its lock (lock.ts):
// runs another live process is training are left to it, and waited for at the end.
import type { BackendName } from '../backend/select';
import type { Experiment } from '../config/load';
import type { RunSpec } from '../config/sweep';
import { isUserError, UserError } from '../errors';
import { removeStaleTemporaries, writeYaml } from '../util/fs';
import { experimentDir, runPaths } from '../results/layout';
import { dataLoader, type DataLoader } from './data';
import { acquireRunLock, describeHolder, lockState, type LockHolder } from './lock';
import { finishedRecord } from '../results/read';
import { shardOf, type Shard } from './shard';
import { runPool } from './pool';
import type { Progress } from './progress';
import { runOne, type RunOutcome } from './run-one';
import { writeSummary } from './summary';

export interface ExperimentOptions {
  experiment: Experiment;
  outRoot: string;
  backend: BackendName;
  progress: Progress;
  /** From loadAllData(experiments); used when jobs is 1. */
  data: DataLoader;
  /** Worker processes; 1 runs in this process. */
  jobs: number;
  shard?: Shard;
  /** Rerun runs already finished with the same config. */
  force: boolean;
  /** True once the user asked to stop (Ctrl-C): runs end after their current step, no further run starts. */
  shouldStop: () => boolean;
  stopRequested: Promise<void>;
  /** Seconds between looks at runs another process is training (tests shorten it). */
  pollSeconds?: number;
}

/**
 * Loads the data of every distinct `data` section, before anything is written: missing or corrupt data is a
 * user error, naming the config file, that must leave no half-written experiment behind. Returns the loader,
 * holding them.
 */
export function loadAllData(experiments: readonly Experiment[]): DataLoader {
  const load = dataLoader();
  for (const experiment of experiments) {
    for (const run of experiment.runs) {
      try {
        load(run.config);
      } catch (err) {
        if (isUserError(err)) throw new UserError(`${experiment.file}: ${err.message}`);
        throw err;
      }
    }
  }
  return load;
}

/** [run, 1-based index in the experiment]. */
export type QueueItem = [RunSpec, number];

/** A run this process may train now: its lock is held until `release`. */
export interface Claimed {
  item: QueueItem;
  release: () => void;
  /** Names the worker process that trains it in the lock (lock.ts), so that the lock outlives this process with it. */
  delegate?: (pid: number) => void;
}

/** What deciding about one queued run found: train it (lock held), or it is done, or another process has it. */
type Claim =
  | { kind: 'train'; claimed: Claimed }
  | { kind: 'done'; outcome: RunOutcome }
  | { kind: 'elsewhere'; holder: LockHolder };

/** Where claims are decided: the experiment folder, when this command started, --force, the log. */
interface ClaimContext {
  expDir: string;
  /** With --force, a run another process finished after this command started is not trained again. */
  since: Date;
  force: boolean;
  log: (line: string) => void;
}

/** Decides a queued run at the moment a worker is free for it. */
function claimRun(c: ClaimContext, item: QueueItem): Claim {
  const [run] = item;
  let lock: ReturnType<typeof acquireRunLock>;
  try {
    lock = acquireRunLock(runPaths(c.expDir, run.runId).dir);
  } catch (err) {
    // e.g. a full disk or a read-only folder: this run fails, the others are tried.
    const message = (err as Error).message;
    c.log(`${run.runId}: failed: ${message}`);
    return { kind: 'done', outcome: { runId: run.runId, status: 'failed', message } };
  }
  if (!lock.acquired) return { kind: 'elsewhere', holder: lock.holder };
  if (lock.tookOver)
    c.log(`${run.runId}: took over the lock of ${describeHolder(lock.tookOver)}, a process that has ended`);
  // Another process may have finished it since this one planned its runs.
  const rec = finishedRecord(c.expDir, run);
  if (rec && (!c.force || (rec.ended !== null && Date.parse(rec.ended) >= c.since.getTime()))) {
    lock.release();
    return {
      kind: 'done',
      outcome: { runId: rec.run_id, status: rec.status, final: rec.final ?? undefined, skipped: true },
    };
  }
  return { kind: 'train', claimed: { item, release: lock.release, delegate: lock.delegate } };
}

const sleep = (seconds: number) => new Promise<void>((resolve) => setTimeout(resolve, seconds * 1000));

/**
 * Waits until no live process of this host holds the lock of any of `runs` (or a stop is requested), and returns
 * them as `ready`: the caller claims each again (finished by the other process: done; otherwise it trains it).
 * Runs locked from another host (shards sharing a folder) are not waited for: they come back in `elsewhere`.
 */
async function waitForOthers(
  o: ExperimentOptions,
  expDir: string,
  runs: QueueItem[],
  log: (line: string) => void,
): Promise<{ ready: QueueItem[]; elsewhere: [QueueItem, LockHolder][] }> {
  const where = (item: QueueItem): { at: 'free' | 'here' | 'elsewhere'; holder?: LockHolder } => {
    const s = lockState(runPaths(expDir, item[0].runId).dir);
    if (s.state !== 'held') return { at: 'free' }; // a stale lock is taken over by the next claim
    return { at: s.here ? 'here' : 'elsewhere', holder: s.holder };
  };
  const elsewhere: [QueueItem, LockHolder][] = [];
  const ready: QueueItem[] = [];
  let waiting = runs;
  let announced = false;
  while (waiting.length > 0 && !o.shouldStop()) {
    const still: QueueItem[] = [];
    for (const item of waiting) {
      const w = where(item);
      if (w.at === 'free') ready.push(item);
      else if (w.at === 'elsewhere') elsewhere.push([item, w.holder!]);
      else still.push(item);
    }
    waiting = still;
    if (waiting.length === 0) break;
    if (!announced) {
      log(
        `waiting for ${waiting.length} run(s) another ln-repro process on this host is training (Ctrl-C stops waiting): ${waiting.map(([r]) => r.runId).join(', ')}`,
      );
      announced = true;
    }
    await sleep(o.pollSeconds ?? 2);
  }
  return { ready, elsewhere };
}

/** What an experiment's steps share: its options, where claims are decided, and the outcomes so far. */
interface ExperimentContext extends ClaimContext {
  o: ExperimentOptions;
  /** In the order the runs ended (or were found done). */
  outcomes: RunOutcome[];
  /** Adds an outcome and rebuilds summary.csv. */
  onOutcome: (outcome: RunOutcome) => void;
}

export async function runExperiment(o: ExperimentOptions): Promise<RunOutcome[]> {
  const { experiment, progress } = o;
  const expDir = experimentDir(o.outRoot, experiment.name);
  const log = (line: string) => progress.event({ kind: 'log', line });
  const since = new Date();
  writeYaml(`${expDir}/experiment.yaml`, experiment.source);
  removeStaleTemporaries(expDir);
  const outcomes: RunOutcome[] = [];
  const onOutcome = (outcome: RunOutcome) => {
    outcomes.push(outcome);
    summarize(expDir, experiment, log);
  };
  const c: ExperimentContext = { expDir, since, force: o.force, log, o, outcomes, onOutcome };
  await trainRounds(c, planRuns(c));
  summarize(expDir, experiment, log);
  const order = new Map(experiment.runs.map((r, i) => [r.runId, i]));
  return outcomes.sort((a, b) => order.get(a.runId)! - order.get(b.runId)!);
}

/**
 * This process's shard of the runs: those already finished (without --force) go to the outcomes as skipped, the
 * others are returned, to train. Logs how many there are of each.
 */
function planRuns({ o, expDir, log, outcomes }: ExperimentContext): QueueItem[] {
  const indexed = o.experiment.runs.map((run, i) => [run, i + 1] as QueueItem);
  const mine = o.shard ? shardOf(indexed, o.shard) : indexed;
  const todo: QueueItem[] = [];
  for (const item of mine) {
    const rec = o.force ? undefined : finishedRecord(expDir, item[0]);
    if (rec) outcomes.push({ runId: rec.run_id, status: rec.status, final: rec.final ?? undefined, skipped: true });
    else todo.push(item);
  }
  const done = outcomes.length;
  const shardText = o.shard ? ` in shard ${o.shard.index}/${o.shard.count}` : '';
  log(
    `${mine.length} run(s)${shardText}: ${todo.length} to run, ${done} already done${done ? ' (--force reruns them)' : ''}`,
  );
  return todo;
}

/**
 * Trains `todo` in rounds: each round trains what this process can claim; runs another process of this host is
 * training are waited for and claimed again in the next round, those of another host are left to it.
 */
async function trainRounds(c: ExperimentContext, todo: QueueItem[]): Promise<void> {
  const { o, outcomes } = c;
  for (let round = 0; todo.length > 0 && !o.shouldStop(); round++) {
    const deferred: QueueItem[] = [];
    const before = outcomes.length;
    await trainQueue(c, todo, claimer(c, deferred));
    if (deferred.length === 0) break;
    // A round in which every run was still someone else's: look again only after a pause.
    if (round > 0 && outcomes.length === before) await sleep(o.pollSeconds ?? 2);
    const { ready, elsewhere } = await waitForOthers(o, c.expDir, deferred, c.log);
    leaveToOtherHosts(c, elsewhere);
    todo = ready;
  }
}

/**
 * The claim of a round: a run to train is returned (lock held), a done one goes to the outcomes, and one another
 * process is training is logged and added to `deferred`.
 */
function claimer(c: ExperimentContext, deferred: QueueItem[]): (item: QueueItem) => Claimed | undefined {
  return (item) => {
    const claim = claimRun(c, item);
    if (claim.kind === 'train') return claim.claimed;
    if (claim.kind === 'done') c.onOutcome(claim.outcome);
    else {
      c.log(`${item[0].runId}: being trained by another process (${describeHolder(claim.holder)}); left to it`);
      deferred.push(item);
    }
    return undefined;
  };
}

/** Records the runs another host is training as `running`, saying which lock to delete if that process is gone. */
function leaveToOtherHosts({ expDir, log, outcomes }: ExperimentContext, elsewhere: [QueueItem, LockHolder][]): void {
  for (const [[run], holder] of elsewhere) {
    const lock = `${runPaths(expDir, run.runId).dir}/run.lock`;
    const message = `being trained by ${describeHolder(holder)} (another host; if that process is gone, delete ${lock})`;
    log(`${run.runId}: ${message}`);
    outcomes.push({ runId: run.runId, status: 'running', message });
  }
}

/** Trains the runs of `queue` that `claim` gives this process, in this process or in worker processes. */
async function trainQueue(
  c: ExperimentContext,
  queue: QueueItem[],
  claim: (item: QueueItem) => Claimed | undefined,
): Promise<void> {
  const { o } = c;
  if (o.jobs <= 1) return trainInProcess(c, queue, claim);
  await runPool({
    jobs: o.jobs,
    experiment: o.experiment.name,
    outRoot: o.outRoot,
    backend: o.backend,
    queue,
    claim,
    total: o.experiment.runs.length,
    emit: o.progress.event.bind(o.progress),
    onOutcome: c.onOutcome,
    shouldStop: o.shouldStop,
    stopRequested: o.stopRequested,
  });
}

/** Trains the runs of `queue` that `claim` gives this process one after another in this process. */
async function trainInProcess(
  { o, onOutcome }: ExperimentContext,
  queue: QueueItem[],
  claim: (item: QueueItem) => Claimed | undefined,
): Promise<void> {
  const emit = o.progress.event.bind(o.progress);
  for (const item of queue) {
    if (o.shouldStop()) break;
    const claimed = claim(item);
    if (!claimed) continue;
    const [run, index] = item;
    try {
      onOutcome(
        await runOne({
          experiment: o.experiment.name,
          outRoot: o.outRoot,
          backend: o.backend,
          run,
          index,
          total: o.experiment.runs.length,
          data: o.data(run.config),
          emit,
          shouldStop: o.shouldStop,
        }),
      );
    } finally {
      claimed.release();
    }
  }
}

/** Rebuilds summary.csv; a folder that cannot be written is reported, not fatal (the runs' own files stand). */
function summarize(expDir: string, experiment: Experiment, log: (line: string) => void): void {
  try {
    writeSummary(expDir, experiment.runs);
  } catch (err) {
    log(`summary.csv not written: ${(err as Error).message}`);
  }
}
