// Which runs of an experiment this invocation does: its shard, minus the runs already done with the same config.
import { createHash } from 'node:crypto';
import { UserError } from '../errors';
import type { RunSpec } from '../config/sweep';
import type { RunRecord } from './layout';
import { readRunFolder } from './results';

export interface Shard {
  /** 1-based. */
  index: number;
  count: number;
}

/** `2/4` -> { index: 2, count: 4 }. */
export function parseShard(text: string): Shard {
  const m = /^(\d+)\/(\d+)$/.exec(text.trim());
  const index = m ? Number(m[1]) : NaN;
  const count = m ? Number(m[2]) : NaN;
  if (!m || count < 1 || index < 1 || index > count)
    throw new UserError(`--shard ${text}: expected i/n with 1 <= i <= n, e.g. --shard 1/4`);
  return { index, count };
}

/**
 * The i-th of n disjoint slices that together cover the runs: every n-th run starting at the i-th (round
 * robin, so that each shard gets a like mix of a sweep's cheap and expensive runs). Stable: it depends only
 * on the run order, which the sweep fixes.
 */
export function shardOf<T>(runs: readonly T[], shard: Shard): T[] {
  return runs.filter((_, k) => k % shard.count === shard.index - 1);
}

function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((k) => [k, canonical((value as Record<string, unknown>)[k])]),
    );
  }
  return value;
}

/** SHA-256 of the resolved config with sorted keys: equal configs, equal hashes, whatever the key order. */
export function configHash(config: unknown): string {
  return createHash('sha256')
    .update(JSON.stringify(canonical(config)))
    .digest('hex');
}

/** Statuses that are results: rerunning the same config would give the same. */
const FINISHED = new Set(['complete', 'diverged']);

/**
 * The run's record when its folder records a finished status for the same resolved config, with readable
 * metrics, else undefined (missing, unfinished, changed or corrupt runs are run again).
 */
export function finishedRecord(expDir: string, run: RunSpec): RunRecord | undefined {
  const folder = readRunFolder(expDir, run.runId);
  const rec = folder.record;
  return folder.state === 'ok' &&
    rec !== undefined &&
    FINISHED.has(rec.status) &&
    rec.config_hash === configHash(run.config)
    ? rec
    : undefined;
}
