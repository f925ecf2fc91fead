// Timing: the median of repeated calls after warm-up. cpu, wasm and tensorflow (tfjs-node) run kernels
// synchronously, so a call's wall time is its compute time; nothing is read back from the device.

export interface Repeats {
  /** Warm-up calls: at least this many, and more until `warmupMs` has passed (JIT-compiled JS kernels). */
  warmup: number;
  warmupMs: number;
  /** Timed calls: this many, or fewer (never under `minReps`) once `budgetMs` is spent. */
  reps: number;
  minReps: number;
  budgetMs: number;
}

function warmUp(fn: () => void, r: Repeats): void {
  const warmStart = performance.now();
  for (let i = 0; i < 50 * r.warmup; i++) {
    fn();
    const elapsed = performance.now() - warmStart;
    // A call slower than the whole warm-up allowance is warm after one call.
    if ((i + 1 >= r.warmup && elapsed >= r.warmupMs) || elapsed >= r.warmupMs * r.warmup) break;
  }
}

export function medianMs(fn: () => void, r: Repeats): number {
  warmUp(fn, r);
  const times: number[] = [];
  const start = performance.now();
  while (times.length < r.reps && (times.length < r.minReps || performance.now() - start < r.budgetMs)) {
    const t0 = performance.now();
    fn();
    times.push(performance.now() - t0);
  }
  return median(times);
}

/** A timed call with the setup it needs first (untimed), e.g. switching the fast paths on or off. */
export interface Timed {
  setup: () => void;
  run: () => void;
}

/**
 * Medians of several calls measured in alternation (a, b, c, a, b, c, ...), so that a spell of load on a shared
 * machine falls on all of them and their ratios stay meaningful. Warm-up as in medianMs, for each; the time
 * budget is shared (budgetMs per call).
 */
export function interleavedMediansMs(calls: readonly Timed[], r: Repeats): number[] {
  for (const t of calls) {
    t.setup();
    warmUp(t.run, r);
  }
  const times: number[][] = calls.map(() => []);
  const start = performance.now();
  while (
    times[0].length < r.reps &&
    (times[0].length < r.minReps || performance.now() - start < calls.length * r.budgetMs)
  ) {
    calls.forEach((t, k) => {
      t.setup();
      const t0 = performance.now();
      t.run();
      times[k].push(performance.now() - t0);
    });
  }
  return times.map(median);
}

function median(values: number[]): number {
  const sorted = [...values].sort((x, y) => x - y);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}
