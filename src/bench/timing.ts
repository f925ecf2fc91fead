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
 * Medians of two calls measured in alternation (a, b, a, b, ...), so that a spell of load on a shared machine
 * falls on both and their ratio stays meaningful. Warm-up as in medianMs, for each.
 */
export function interleavedMediansMs(a: Timed, b: Timed, r: Repeats): [number, number] {
  for (const t of [a, b]) {
    t.setup();
    warmUp(t.run, r);
  }
  const times: [number[], number[]] = [[], []];
  const start = performance.now();
  while (times[0].length < r.reps && (times[0].length < r.minReps || performance.now() - start < 2 * r.budgetMs)) {
    [a, b].forEach((t, k) => {
      t.setup();
      const t0 = performance.now();
      t.run();
      times[k].push(performance.now() - t0);
    });
  }
  return [median(times[0]), median(times[1])];
}

function median(values: number[]): number {
  const sorted = [...values].sort((x, y) => x - y);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}
