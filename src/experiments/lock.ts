// One writer per run folder: a process trains a run only while it holds <runDir>/run.lock, a file naming its pid,
// host and start time, created atomically (hard link of a complete temporary file: it exists whole or not at
// all). A lock whose process is gone (same host, pid no longer running) is stale and taken over; a lock held by a
// process on another host (shards sharing a folder over a network file system) is always respected.
import { hostname } from 'node:os';
import { join } from 'node:path';
import { linkSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { UserError } from '../errors';
import { fsReason } from '../metrics/files';

export const LOCK_FILE = 'run.lock';

export interface LockHolder {
  pid: number;
  host: string;
  started: string;
}

export type LockResult =
  | { acquired: true; release: () => void; /** The stale lock this one replaced. */ tookOver?: LockHolder }
  | { acquired: false; holder: LockHolder };

/** True when no process `pid` runs on this host (a process of another user still counts as running). */
export function processGone(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

function readHolder(path: string): LockHolder | undefined {
  try {
    const h = JSON.parse(readFileSync(path, 'utf8')) as LockHolder;
    return typeof h.pid === 'number' && typeof h.host === 'string' ? h : undefined;
  } catch {
    return undefined;
  }
}

/** True when the holder is a process of this host that has ended. */
export function isStale(holder: LockHolder): boolean {
  return holder.host === hostname() && processGone(holder.pid);
}

export function describeHolder(h: LockHolder): string {
  return `pid ${h.pid} on ${h.host}, since ${h.started}`;
}

/** The holder of `runDir`'s lock, undefined when there is none. */
export function lockHolder(runDir: string): LockHolder | undefined {
  return readHolder(join(runDir, LOCK_FILE));
}

/** Takes `runDir`'s lock for this process, taking over a stale one; or says who holds it. */
export function acquireRunLock(runDir: string): LockResult {
  const path = join(runDir, LOCK_FILE);
  const me: LockHolder = { pid: process.pid, host: hostname(), started: new Date().toISOString() };
  const tmp = `${path}.tmp-${process.pid}`;
  let tookOver: LockHolder | undefined;
  try {
    mkdirSync(runDir, { recursive: true });
    writeFileSync(tmp, `${JSON.stringify(me)}\n`);
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        linkSync(tmp, path);
        return { acquired: true, release: () => releaseRunLock(path), tookOver };
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
      const holder = readHolder(path) ?? { pid: -1, host: '(unreadable lock file)', started: '?' };
      if (!isStale(holder)) return { acquired: false, holder };
      // Move the stale lock aside: of several processes doing this at once, one rename wins and the others
      // find the lock gone or new on their next attempt.
      try {
        renameSync(path, `${path}.stale-${process.pid}`);
        rmSync(`${path}.stale-${process.pid}`, { force: true });
        tookOver = holder;
      } catch {
        // another process moved it first
      }
    }
    const holder = readHolder(path);
    if (holder) return { acquired: false, holder };
    throw new Error('the lock changed hands three times while this process tried to take it');
  } catch (err) {
    throw new UserError(`cannot lock ${path}: ${fsReason(err)}`);
  } finally {
    rmSync(tmp, { force: true });
  }
}

/** Removes the lock if this process holds it. */
function releaseRunLock(path: string): void {
  const holder = readHolder(path);
  try {
    if (holder?.pid === process.pid && holder.host === hostname()) rmSync(path, { force: true });
  } catch {
    // a folder that became read-only: the lock stays, and is stale once this process ends
  }
}
