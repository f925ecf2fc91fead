// Runs an experiment's runs in N worker processes (one run each at a time); a worker that dies fails only
// the run it had, and a fresh worker takes over the rest of the queue.
import { fork, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import type { BackendName } from '../backend/select';
import type { RunSpec } from '../config/sweep';
import { writeJson } from '../util/fs';
import { experimentDir, runPaths } from '../results/layout';
import type { FromWorker, ToWorker } from './messages';
import { newRecord, type RunOutcome } from './run-one';
import { readRunRecord } from '../results/read';
import type { Claimed, QueueItem } from './run-experiment';
import type { ProgressEvent } from './progress';

/** The run a worker has, with the release of its lock. */
interface InFlight {
  run?: RunSpec;
  release?: () => void;
}

export interface PoolOptions {
  jobs: number;
  experiment: string;
  outRoot: string;
  backend: BackendName;
  /** [run, 1-based index in the experiment] to do, in order. */
  queue: QueueItem[];
  /** Takes a queued run for this process (its lock held until `release`), or undefined when it is not to be trained here. */
  claim: (item: QueueItem) => Claimed | undefined;
  total: number;
  emit: (e: ProgressEvent) => void;
  /** After each run ends (done or crashed). */
  onOutcome: (o: RunOutcome) => void;
  shouldStop: () => boolean;
  /** Resolves when the user asks to stop, so workers can be told at once. */
  stopRequested: Promise<void>;
}

/** Records a run whose worker died: run.json says failed, with how the process ended (when it can be written). */
function recordCrash(o: PoolOptions, run: RunSpec, how: string): RunOutcome {
  const path = runPaths(experimentDir(o.outRoot, o.experiment), run.runId).run;
  const read = readRunRecord(path);
  const record =
    read.state === 'ok' ? read.value : newRecord({ experiment: o.experiment, run, backend: o.backend }, '');
  let message = `worker process died (${how})`;
  try {
    writeJson(path, { ...record, status: 'failed', ended: new Date().toISOString(), message });
  } catch (err) {
    message += `; ${(err as Error).message}`;
  }
  o.emit({ kind: 'end', runId: run.runId, status: 'failed', message });
  return { runId: run.runId, status: 'failed', message };
}

/** What the pool's helpers share: its options, the runs not yet taken, the live workers, and the pool's resolve. */
interface Pool {
  o: PoolOptions;
  pending: QueueItem[];
  workers: Set<ChildProcess>;
  /** Resolves runPool's promise. */
  resolve: () => void;
}

/** Resolves when every worker has ended; each run's outcome goes to `onOutcome` as it ends. */
export function runPool(o: PoolOptions): Promise<void> {
  const pending = [...o.queue];
  const workers = new Set<ChildProcess>();
  return new Promise((resolve) => {
    const pool: Pool = { o, pending, workers, resolve };
    void o.stopRequested.then(() => workers.forEach((w) => w.connected && w.send({ type: 'stop' } satisfies ToWorker)));
    for (let i = 0; i < Math.min(o.jobs, pending.length); i++) spawn(pool);
    finishIfIdle(pool);
  });
}

/** Resolves the pool once no worker is left. */
function finishIfIdle(pool: Pool): void {
  if (pool.workers.size === 0) pool.resolve();
}

/** The next queued run this process may train (skipping those done or taken elsewhere), its lock held. */
function take({ o, pending }: Pool): Claimed | undefined {
  while (!o.shouldStop() && pending.length > 0) {
    const claimed = o.claim(pending.shift()!);
    if (claimed) return claimed;
  }
  return undefined;
}

/** Gives a free worker the next run it may train, or tells it to exit when there is none. */
function next(pool: Pool, child: ChildProcess, inFlight: InFlight): void {
  const claimed = take(pool);
  inFlight.run = claimed?.item[0];
  inFlight.release = claimed?.release;
  if (claimed && child.pid !== undefined) claimed.delegate?.(child.pid);
  if (child.connected)
    child.send(
      (claimed
        ? { type: 'run', run: claimed.item[0], index: claimed.item[1], total: pool.o.total }
        : { type: 'exit' }) satisfies ToWorker,
    );
}

/** Releases the lock of a worker's run, which it no longer has. */
function finish(inFlight: InFlight): void {
  inFlight.release?.();
  inFlight.run = undefined;
  inFlight.release = undefined;
}

/** Starts a worker process, which asks for its first run once ready. */
function spawn(pool: Pool): void {
  const { o } = pool;
  const child = fork(join(__dirname, 'worker.js'), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const inFlight: InFlight = {};
  pool.workers.add(child);
  child.on('error', () => {}); // a send racing the child's death; its 'exit' handler records the run
  child.on('message', (m: FromWorker) => onMessage(pool, child, inFlight, m));
  child.on('exit', (code, signal) => onExit(pool, child, inFlight, signal ? `signal ${signal}` : `exit code ${code}`));
  child.send({
    type: 'init',
    init: { experiment: o.experiment, outRoot: o.outRoot, backend: o.backend },
  } satisfies ToWorker);
}

/** Handles a worker's message: ready for a run, a progress event, a run done, or an error. */
function onMessage(pool: Pool, child: ChildProcess, inFlight: InFlight, m: FromWorker): void {
  const { o } = pool;
  if (m.type === 'ready') next(pool, child, inFlight);
  else if (m.type === 'event') o.emit(m.event);
  else if (m.type === 'done') {
    finish(inFlight);
    o.onOutcome(m.outcome);
    next(pool, child, inFlight);
  } else o.emit({ kind: 'log', line: `worker error: ${m.message.split('\n')[0]}` });
}

/**
 * Handles a worker's end (`how`: its signal or exit code): the run it had fails and a fresh worker takes the
 * queue; if it was the last worker and had no run, the runs left fail, since nobody can take them.
 */
function onExit(pool: Pool, child: ChildProcess, inFlight: InFlight, how: string): void {
  const { o, pending, workers } = pool;
  workers.delete(child);
  const fail = (run: RunSpec, why: string) => {
    o.onOutcome(recordCrash(o, run, why));
  };
  if (inFlight.run) {
    fail(inFlight.run, how);
    finish(inFlight);
    if (pending.length > 0 && !o.shouldStop()) spawn(pool);
  } else if (pending.length > 0 && !o.shouldStop() && workers.size === 0) {
    // The last worker died between runs (it could not start): nobody is left to take the queue.
    for (let claimed = take(pool); claimed; claimed = take(pool)) {
      fail(claimed.item[0], `no worker could take it; the last one ended with ${how}`);
      claimed.release();
    }
  }
  finishIfIdle(pool);
}
