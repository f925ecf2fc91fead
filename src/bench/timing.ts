// Timing: the median of repeated calls after warm-up. cpu, wasm and tensorflow (tfjs-node) run kernels
// synchronously, so a call's wall time is its compute time; webgpu only queues them, so each timed call ends when
// the GPU has finished its work (deviceIdle), as torch.cuda.synchronize() ends one. Nothing is read back.
import { deviceIdle } from '../backend/kernels/webgpu/dispatch';

export interface Repeats {
  /** Warm-up calls: at least this many, and more until `warmupMs` has passed (JIT-compiled JS kernels). */
  warmup: number;
  warmupMs: number;
  /** Timed calls: this many, or fewer (never under `minReps`) once `budgetMs` is spent. */
  reps: number;
  minReps: number;
  budgetMs: number;
}

/** Calls `fn` and waits until the device has done what it queued. */
async function callAndWait(fn: () => void): Promise<void> {
  fn();
  await deviceIdle();
}

async function warmUp(fn: () => void, r: Repeats): Promise<void> {
  const warmStart = performance.now();
  for (let i = 0; i < 50 * r.warmup; i++) {
    await callAndWait(fn);
    const elapsed = performance.now() - warmStart;
    // A call slower than the whole warm-up allowance is warm after one call.
    if ((i + 1 >= r.warmup && elapsed >= r.warmupMs) || elapsed >= r.warmupMs * r.warmup) break;
  }
}

export async function medianMs(fn: () => void, r: Repeats): Promise<number> {
  await warmUp(fn, r);
  const times: number[] = [];
  const start = performance.now();
  while (times.length < r.reps && (times.length < r.minReps || performance.now() - start < r.budgetMs)) {
    const t0 = performance.now();
    await callAndWait(fn);
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
export async function interleavedMediansMs(calls: readonly Timed[], r: Repeats): Promise<number[]> {
  for (const t of calls) {
    t.setup();
    await warmUp(t.run, r);
  }
  const times: number[][] = calls.map(() => []);
  const start = performance.now();
  while (
    times[0].length < r.reps &&
    (times[0].length < r.minReps || performance.now() - start < calls.length * r.budgetMs)
  ) {
    for (const [k, t] of calls.entries()) {
      t.setup();
      await deviceIdle();
      const t0 = performance.now();
      await callAndWait(t.run);
      times[k].push(performance.now() - t0);
    }
  }
  return times.map(median);
}

function median(values: number[]): number {
  const sorted = [...values].sort((x, y) => x - y);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}
