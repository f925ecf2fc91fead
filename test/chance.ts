// Chance levels for the tests that check that a model learned something: what a model blind to its input scores on
// the exact test split of a run, worked out from that split's labels or captions.
import assert from 'node:assert/strict';
import type { DataConfig } from '../src/config/schema';
import { loadImages } from '../src/data/images';
import { buildStrips } from '../src/tasks/retrieval/strips';

/** The error of always answering the commonest label of `labels`, the best a classifier blind to its input does. */
export function majorityError(labels: ArrayLike<number>): number {
  const counts = new Map<number, number>();
  for (let i = 0; i < labels.length; i++) counts.set(labels[i], (counts.get(labels[i]) ?? 0) + 1);
  return 1 - Math.max(...counts.values()) / labels.length;
}

/** The test labels of a run with data config `data` (the split src/data/images.ts makes for it). */
export function testLabels(data: DataConfig): Uint8Array {
  return loadImages(data).test.labels;
}

/** The captions of the test strips a retrieval run with data config `data` ranks (as src/tasks/retrieval makes them). */
export function testCaptions(data: DataConfig): string[] {
  const { minDigits, maxDigits, seed } = data;
  if (typeof minDigits !== 'number' || typeof maxDigits !== 'number') throw new Error(`data.view ${data.view}`);
  return buildStrips(loadImages(data).test, { minDigits, maxDigits, seed, purpose: 'test' }).captions;
}

/** How many of `captions` carry each caption: the hits of a query under src/metrics/retrieval.ts's hit rule. */
function multiplicities(captions: readonly string[]): number[] {
  const counts = new Map<string, number>();
  for (const c of captions) counts.set(c, (counts.get(c) ?? 0) + 1);
  return captions.map((c) => counts.get(c)!);
}

/**
 * Recall@K in percent of a uniformly random ranking of the N test pairs, in either direction (a query's hits are the
 * m items with its caption): the top K miss all m hits with probability C(N-m, K) / C(N, K), the product of
 * (N-m-i) / (N-i) for i < K. Averaged over the queries.
 */
export function chanceRecall(captions: readonly string[], k: number): number {
  const n = captions.length;
  const recall = multiplicities(captions).map((m) => {
    let miss = 1;
    for (let i = 0; i < k; i++) miss *= Math.max(0, n - m - i) / (n - i);
    return 1 - miss;
  });
  return (100 * recall.reduce((a, b) => a + b, 0)) / n;
}

/** Mean rank of the first hit in a uniformly random ranking: m hits among N come first at (N + 1) / (m + 1) on average. */
export function chanceMeanRank(captions: readonly string[]): number {
  const n = captions.length;
  return multiplicities(captions).reduce((a, m) => a + (n + 1) / (m + 1), 0) / n;
}

/**
 * How far from chance a retrieval model must be: recall@K at least this many times chance's, mean rank at most
 * chance's divided by it. Random score matrices on the tests' splits (100 and 200 pairs, 4,000 draws each) never
 * passed the mean-rank bound (a random ranking's mean rank varies by 5 to 7% of chance's; the bound is 33% below),
 * R@10's passed in under 0.1% of draws and R@5's in under 2%; R@1's alone passes about a fifth of them.
 */
export const CHANCE_FACTOR = 1.5;

type RetrievalMetrics = Partial<Record<string, number | null>>;

/** Asserts that `m` beats chance by CHANCE_FACTOR in both directions on the test pairs captioned `captions`. */
export function assertBeatsChance(m: RetrievalMetrics, captions: readonly string[], what: string): void {
  const misses: string[] = [];
  for (const dir of ['caption', 'image'] as const) {
    for (const k of [1, 5, 10] as const) {
      const got = m[`${dir}_r${k}`];
      const least = CHANCE_FACTOR * chanceRecall(captions, k);
      if (!(got! >= least)) misses.push(`${dir} R@${k} ${got} < ${least.toFixed(2)}`);
    }
    const rank = m[`${dir}_mean_rank`];
    const most = chanceMeanRank(captions) / CHANCE_FACTOR;
    if (!(rank! <= most)) misses.push(`${dir} mean rank ${rank} > ${most.toFixed(2)}`);
  }
  assert.deepEqual(misses, [], `${what}: not ${CHANCE_FACTOR}x better than chance on ${captions.length} test pairs`);
}
