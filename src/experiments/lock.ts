// One writer per run folder: a process trains a run only while it holds <runDir>/run.lock, a file naming its
// pid, host and start, created atomically (hard link of a complete temporary file: it exists whole or not at
// all).
//
// A lock is stale when its process is gone: same host and boot, and no process with that pid and start time
// (Linux: /proc/<pid>/stat; elsewhere the pid alone), or this process's own pid on a lock it does not hold (a
// restarted container gets the pid back), and so is the worker it handed the run to (--jobs), if any: a worker
// outliving its parent by a step must not share the run with a process taking it over. A lock from another host
// (shards sharing a network folder) is never stale: deleting run.lock by hand releases it. An unreadable lock file
// (cut by a power loss) counts as stale once it is older than UNREADABLE_GRACE_MS. Only the holder of
// <runDir>/run.lock.takeover may remove a stale lock, after reading it again, so two processes taking one over
// cannot remove each other's fresh lock.
import { linkSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { UserError } from '../errors';
import { fsReason, temporaryName, writeAtomic } from '../util/fs';
import { processGone } from '../util/process';

const LOCK_FILE = 'run.lock';
const UNREADABLE_GRACE_MS = 30_000;

export interface LockHolder {
  pid: number;
  host: string;
  started: string;
  /** Linux: the boot id and the process's start time in clock ticks since boot, to tell a reused pid. */
  identity?: string;
  /** The worker process the holder handed the run to (`delegate`), with its identity. */
  worker?: { pid: number; identity?: string };
}

export type LockState =
  | { state: 'free' }
  | { state: 'held'; holder: LockHolder; /** A live process of this host (one to wait for). */ here: boolean }
  | { state: 'stale'; holder: LockHolder };

export type LockResult =
  | {
      acquired: true;
      release: () => void;
      /** Names the worker process `pid` that trains the run for this one: the lock is held while either lives. */
      delegate: (pid: number) => void;
      /** The stale lock this one replaced. */
      tookOver?: LockHolder;
    }
  | { acquired: false; holder: LockHolder; here: boolean };

/** Locks this process holds (by path): its own pid on any other lock file is a leftover of an earlier life. */
const held = new Set<string>();

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** `<boot id>:<start time>` of process `pid`, where /proc tells it. */
function processIdentity(pid: number): string | undefined {
  const boot = readText('/proc/sys/kernel/random/boot_id')?.trim();
  const stat = readText(`/proc/${pid}/stat`);
  // Fields after the command name (which may hold spaces), which ends with the last ')': field 22 is starttime.
  const start = stat?.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  return boot && start ? `${boot}:${start}` : undefined;
}

function me(): LockHolder {
  return {
    pid: process.pid,
    host: hostname(),
    started: new Date().toISOString(),
    identity: processIdentity(process.pid),
  };
}

function parseHolder(text: string | undefined): LockHolder | undefined {
  try {
    const h = JSON.parse(text ?? '') as LockHolder;
    return typeof h.pid === 'number' && typeof h.host === 'string' ? h : undefined;
  } catch {
    return undefined;
  }
}

/** Whether process `pid` of this host, which had `identity`, has ended (this process: when it does not hold `path`). */
function ended(pid: number, identity: string | undefined, path: string): boolean {
  if (pid === process.pid) return !held.has(path);
  if (processGone(pid)) return true;
  const now = processIdentity(pid);
  return identity !== undefined && now !== undefined && now !== identity;
}

/** Whether a readable holder's process, and the worker it handed the run to, have ended. */
function gone(h: LockHolder, path: string): boolean {
  if (h.host !== hostname()) return false;
  return ended(h.pid, h.identity, path) && (h.worker === undefined || ended(h.worker.pid, h.worker.identity, path));
}

/** The state of the lock at `path` (a run folder's run.lock). */
function stateAt(path: string): LockState {
  const text = readText(path);
  if (text === undefined) return { state: 'free' };
  const holder = parseHolder(text);
  if (!holder) {
    const unreadable = { pid: -1, host: '(unreadable run.lock)', started: '?' };
    let age: number;
    try {
      age = Date.now() - statSync(path).mtimeMs;
    } catch {
      return { state: 'free' };
    }
    return age > UNREADABLE_GRACE_MS
      ? { state: 'stale', holder: unreadable }
      : { state: 'held', holder: unreadable, here: true };
  }
  if (gone(holder, path)) return { state: 'stale', holder };
  return { state: 'held', holder, here: holder.host === hostname() };
}

export function lockState(runDir: string): LockState {
  return stateAt(join(runDir, LOCK_FILE));
}

export function describeHolder(h: LockHolder): string {
  return `pid ${h.pid} on ${h.host}, since ${h.started}`;
}

/** Removes the stale lock at `path` under the takeover mutex, if it is still the same stale lock. */
function removeStale(path: string, stale: string, tmp: string): void {
  const mutex = `${path}.takeover`;
  try {
    linkSync(tmp, mutex);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    // Another process is taking it over; a mutex left by a process that died in these few lines expires.
    if (Date.now() - statSync(mutex).mtimeMs > UNREADABLE_GRACE_MS) rmSync(mutex, { force: true });
    return;
  }
  try {
    if (readText(path) === stale) rmSync(path, { force: true });
  } finally {
    rmSync(mutex, { force: true });
  }
}

/** Takes `runDir`'s lock for this process, taking over a stale one; or says who holds it. */
export function acquireRunLock(runDir: string): LockResult {
  const path = join(runDir, LOCK_FILE);
  const tmp = join(runDir, temporaryName(LOCK_FILE));
  let tookOver: LockHolder | undefined;
  try {
    mkdirSync(runDir, { recursive: true });
    writeFileSync(tmp, `${JSON.stringify(me())}\n`);
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        linkSync(tmp, path);
        held.add(path);
        return {
          acquired: true,
          release: () => releaseRunLock(path),
          delegate: (pid) => delegate(path, pid),
          tookOver,
        };
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
      const stale = readText(path);
      const s = stateAt(path);
      if (s.state === 'held') return { acquired: false, holder: s.holder, here: s.here };
      if (s.state === 'stale' && stale !== undefined) {
        removeStale(path, stale, tmp);
        tookOver = s.holder;
      }
    }
    const s = stateAt(path);
    if (s.state === 'held') return { acquired: false, holder: s.holder, here: s.here };
    throw new Error('the lock changed hands three times while this process tried to take it');
  } catch (err) {
    throw new UserError(`cannot lock ${path}: ${fsReason(err)}`);
  } finally {
    try {
      rmSync(tmp, { force: true });
    } catch {
      // the folder could not be made
    }
  }
}

/** Adds worker `pid` to the lock this process holds at `path` (rewritten whole: temporary file, then rename). */
function delegate(path: string, pid: number): void {
  const holder = parseHolder(readText(path));
  if (holder?.pid !== process.pid || !held.has(path)) return;
  const worker = { pid, identity: processIdentity(pid) };
  try {
    writeAtomic(path, `${JSON.stringify({ ...holder, worker })}\n`);
  } catch {
    // the folder became read-only: the lock names this process alone, as before
  }
}

/** Removes the lock if this process holds it. */
function releaseRunLock(path: string): void {
  held.delete(path);
  const holder = parseHolder(readText(path));
  try {
    if (holder?.pid === process.pid && holder.host === hostname()) rmSync(path, { force: true });
  } catch {
    // a folder that became read-only: the lock stays, and is stale once this process ends
  }
}
