// Which runs of an experiment this invocation does: `--shard i/n`, one of n disjoint slices of the run list.
import { UserError } from '../errors';

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
