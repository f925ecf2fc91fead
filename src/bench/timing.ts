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

export function medianMs(fn: () => void, r: Repeats): number {
  const warmStart = performance.now();
  for (let i = 0; i < 50 * r.warmup; i++) {
    fn();
    const elapsed = performance.now() - warmStart;
    // A call slower than the whole warm-up allowance is warm after one call.
    if ((i + 1 >= r.warmup && elapsed >= r.warmupMs) || elapsed >= r.warmupMs * r.warmup) break;
  }
  const times: number[] = [];
  const start = performance.now();
  while (times.length < r.reps && (times.length < r.minReps || performance.now() - start < r.budgetMs)) {
    const t0 = performance.now();
    fn();
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  const mid = Math.floor(times.length / 2);
  return times.length % 2 ? times[mid] : (times[mid - 1] + times[mid]) / 2;
}
